#include "repo/repo_files.hpp"

#include <cerrno>
#include <cstdio>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.hpp"
#include "common/hex.hpp"
#include "streaming/hasher.hpp"

namespace ratchet::repo {
namespace {

constexpr std::size_t kPiece = 1u << 20;

// Reads up to buf.size() bytes; 0 at the end of the file.
Result<std::size_t> read_some(int fd, std::span<std::byte> buf, const std::filesystem::path& path) {
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) return fail(errno_error(errno, path.string()));
  }
}

Status copy_contents(const std::filesystem::path& from, const std::filesystem::path& to,
                     unsigned mode) {
  auto in = RATCHET_TRY(open_file(from, O_RDONLY));
  auto out = RATCHET_TRY(open_file(to, O_WRONLY | O_CREAT | O_TRUNC, mode));
  std::vector<std::byte> buf(kPiece);
  for (;;) {
    const std::size_t n = RATCHET_TRY(read_some(in.get(), buf, from));
    if (n == 0) break;
    RATCHET_TRY(write_all(out.get(), std::span(buf).first(n), to.string()));
  }
  if (::fsync(out.get()) != 0) return fail(errno_error(errno, to.string()));
  if (const int err = out.close_checked(); err != 0) return fail(errno_error(err, to.string()));
  return {};
}

}  // namespace

Result<FileDigest> digest_file(const std::filesystem::path& path) {
  auto fd = RATCHET_TRY(open_file(path, O_RDONLY));
  streaming::Hasher hasher(streaming::HashAlgorithm::Sha256);
  std::vector<std::byte> buf(kPiece);
  FileDigest d;
  for (;;) {
    const std::size_t n = RATCHET_TRY(read_some(fd.get(), buf, path));
    if (n == 0) break;
    hasher.update(std::span(buf).first(n));
    d.length += n;
  }
  d.sha256 = to_hex(hasher.finish());
  return d;
}

Status place_file(const std::filesystem::path& from, const std::filesystem::path& to, Placement how,
                  unsigned mode) {
  std::error_code ec;
  std::filesystem::create_directories(to.parent_path(), ec);
  if (ec) return fail(errno_error(ec.value(), to.parent_path().string()));
  if (how == Placement::Move) {
    if (::chmod(from.c_str(), mode) == 0 && std::rename(from.c_str(), to.c_str()) == 0)
      return sync_directory(to.parent_path());
    if (errno != EXDEV) return fail(errno_error(errno, from.string() + " -> " + to.string()));
  }
  const auto part = to.parent_path() / ("." + to.filename().string() + ".part");
  if (auto s = copy_contents(from, part, mode); !s) {
    std::filesystem::remove(part, ec);
    return s;
  }
  if (std::rename(part.c_str(), to.c_str()) != 0) {
    const int err = errno;
    std::filesystem::remove(part, ec);
    return fail(errno_error(err, to.string()));
  }
  RATCHET_TRY(sync_directory(to.parent_path()));
  if (how == Placement::Move) std::filesystem::remove(from, ec);
  return {};
}

}  // namespace ratchet::repo
