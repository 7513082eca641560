#include "agent/update/tar_bundle.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "common/file.hpp"

namespace ratchet::update {
namespace {

constexpr std::size_t kBlock = 512;

std::string field(const std::array<char, kBlock>& h, std::size_t off, std::size_t len) {
  const char* p = h.data() + off;
  return {p, ::strnlen(p, len)};
}

Result<std::uint64_t> octal(const std::array<char, kBlock>& h, std::size_t off, std::size_t len,
                            const std::string& what) {
  std::uint64_t v = 0;
  bool digits = false;
  for (std::size_t i = off; i < off + len; ++i) {
    const char c = h.at(i);
    if (c == '\0' || c == ' ') {
      if (digits) break;
      continue;
    }
    if (c < '0' || c > '7') return fail(Code::BadMetadata, "{}: bad octal field", what);
    if (v > (UINT64_MAX >> 3)) return fail(Code::TooLarge, "{}: number too large", what);
    v = (v << 3) | static_cast<std::uint64_t>(c - '0');
    digits = true;
  }
  return v;
}

Result<std::filesystem::path> safe_name(const std::string& name, const std::string& tar) {
  const std::filesystem::path p(name);
  if (name.empty() || p.is_absolute())
    return fail(Code::BadMetadata, "{}: entry '{}' is not a relative path", tar, name);
  for (const auto& part : p)
    if (part == "..") return fail(Code::BadMetadata, "{}: entry '{}' leaves the bundle", tar, name);
  return p.lexically_normal();
}

Status read_exact(int fd, std::span<char> out, const std::string& what) {
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::read(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(errno_error(errno, what));
    if (n == 0) return fail(Code::LengthMismatch, "{}: truncated", what);
    done += static_cast<std::size_t>(n);
  }
  return {};
}

}  // namespace

Status unpack_tar(const std::filesystem::path& tar, const std::filesystem::path& into,
                  std::uint64_t max_total) {
  const std::string what = tar.string();
  auto in = RATCHET_TRY(open_regular_file(tar));
  std::error_code ec;
  std::filesystem::create_directories(into, ec);
  if (ec) return fail(Code::Io, "{}: {}", into.string(), ec.message());
  std::uint64_t total = 0;
  std::array<char, kBlock> h{};
  std::vector<char> buffer(1u << 20);
  while (true) {
    RATCHET_TRY(read_exact(in.get(), h, what));
    if (std::all_of(h.begin(), h.end(), [](char c) { return c == '\0'; })) return {};
    if (field(h, 257, 6) != "ustar")
      return fail(Code::BadMetadata, "{}: not a POSIX ustar archive", what);
    std::string name = field(h, 0, 100);
    if (const auto prefix = field(h, 345, 155); !prefix.empty())
      name = fmt::format("{}/{}", prefix, name);
    const auto rel = RATCHET_TRY(safe_name(name, what));
    const std::uint64_t size = RATCHET_TRY(octal(h, 124, 12, fmt::format("{} {}", what, name)));
    const char type = h[156];
    total += size;
    if (total > max_total)
      return fail(Code::TooLarge, "{}: more than {} bytes unpacked", what, max_total);
    const auto path = into / rel;
    if (type == '5') {
      std::filesystem::create_directories(path, ec);
      if (ec) return fail(Code::Io, "{}: {}", path.string(), ec.message());
      continue;
    }
    if (type != '0' && type != '\0')
      return fail(Code::BadMetadata, "{}: entry '{}' is not a file or directory", what, name);
    std::filesystem::create_directories(path.parent_path(), ec);
    auto out = RATCHET_TRY(open_file(path, O_WRONLY | O_CREAT | O_TRUNC, 0600));
    for (std::uint64_t left = size; left > 0;) {
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(left, buffer.size()));
      RATCHET_TRY(read_exact(in.get(), std::span(buffer.data(), n), what));
      RATCHET_TRY(write_all(out.get(), std::as_bytes(std::span(buffer.data(), n)), path.string()));
      left -= n;
    }
    if (const auto pad = (kBlock - size % kBlock) % kBlock; pad != 0)
      RATCHET_TRY(read_exact(in.get(), std::span(buffer.data(), pad), what));
  }
}

}  // namespace ratchet::update
