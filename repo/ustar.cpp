#include "repo/ustar.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "common/file.hpp"

namespace ratchet::repo {
namespace {

constexpr std::size_t kBlock = 512;
constexpr std::uint64_t kMaxSize = (std::uint64_t{1} << 33) - 1;  // 11 octal digits

// An octal field of `width` bytes: width-1 digits, NUL-terminated.
void put_octal(std::array<char, kBlock>& h, std::size_t at, std::size_t width, std::uint64_t v) {
  for (std::size_t i = width - 1; i-- > 0;) {
    h.at(at + i) = static_cast<char>('0' + (v & 7));
    v >>= 3;
  }
  h.at(at + width - 1) = '\0';
}

void put_text(std::array<char, kBlock>& h, std::size_t at, std::string_view s) {
  std::copy(s.begin(), s.end(), h.begin() + static_cast<std::ptrdiff_t>(at));
}

}  // namespace

Result<std::unique_ptr<UstarWriter>> UstarWriter::create(std::filesystem::path path,
                                                         std::int64_t mtime) {
  std::unique_ptr<UstarWriter> w(new UstarWriter());
  w->path_ = std::move(path);
  w->part_ = w->path_;
  w->part_ += ".part";
  w->mtime_ = std::max<std::int64_t>(mtime, 0);
  w->fd_ = RATCHET_TRY(open_file(w->part_, O_WRONLY | O_CREAT | O_TRUNC, 0644));
  return w;
}

UstarWriter::~UstarWriter() {
  if (done_) return;
  fd_.reset();
  std::error_code ec;
  std::filesystem::remove(part_, ec);
}

Status UstarWriter::header(std::string_view name, char type, std::uint64_t size, unsigned mode) {
  std::array<char, kBlock> h{};
  std::string_view prefix;
  std::string_view base = name;
  if (name.size() > 100) {
    // Split at a '/' so that the prefix fits 155 bytes and the rest 100.
    std::size_t cut = std::string_view::npos;
    for (std::size_t i = name.find('/'); i != std::string_view::npos; i = name.find('/', i + 1))
      if (i <= 155 && name.size() - i - 1 <= 100 && i + 1 < name.size()) cut = i;
    if (cut == std::string_view::npos)
      return fail(Code::InvalidArgument, "{}: '{}' is too long for a ustar name", path_.string(),
                  name);
    prefix = name.substr(0, cut);
    base = name.substr(cut + 1);
  }
  if (size > kMaxSize)
    return fail(Code::TooLarge, "{}: '{}' is {} bytes, beyond ustar's 8 GiB", path_.string(), name,
                size);
  put_text(h, 0, base);
  put_octal(h, 100, 8, mode);
  put_octal(h, 108, 8, 0);  // uid
  put_octal(h, 116, 8, 0);  // gid
  put_octal(h, 124, 12, size);
  put_octal(h, 136, 12, static_cast<std::uint64_t>(mtime_));
  h[156] = type;
  put_text(h, 257,
           std::string_view("ustar\0"
                            "00",
                            8));
  put_text(h, 265, "root");
  put_text(h, 297, "root");
  put_octal(h, 329, 8, 0);
  put_octal(h, 337, 8, 0);
  put_text(h, 345, prefix);
  std::fill_n(h.begin() + 148, 8, ' ');
  unsigned sum = 0;
  for (const char c : h)
    sum += static_cast<unsigned char>(c);
  put_octal(h, 148, 7, sum);  // six digits, NUL, and the space already there
  return write_all(fd_.get(), std::as_bytes(std::span(h)), part_.string());
}

Status UstarWriter::pad(std::uint64_t size) {
  static constexpr std::array<std::byte, kBlock> kZeros{};
  const std::size_t rest = (kBlock - size % kBlock) % kBlock;
  return write_all(fd_.get(), std::span(kZeros).first(rest), part_.string());
}

Status UstarWriter::add_directory(std::string_view name) {
  std::string n(name);
  if (!n.ends_with('/')) n.push_back('/');
  return header(n, '5', 0, 0755);
}

Status UstarWriter::add_bytes(std::string_view name, std::string_view data) {
  RATCHET_TRY(header(name, '0', data.size(), 0644));
  RATCHET_TRY(
      write_all(fd_.get(), std::as_bytes(std::span(data.data(), data.size())), part_.string()));
  return pad(data.size());
}

Status UstarWriter::add_file(std::string_view name, const std::filesystem::path& source) {
  auto in = RATCHET_TRY(open_file(source, O_RDONLY));
  std::error_code ec;
  const std::uint64_t size = std::filesystem::file_size(source, ec);
  if (ec) return fail(errno_error(ec.value(), source.string()));
  RATCHET_TRY(header(name, '0', size, 0644));
  std::vector<std::byte> buf(1u << 20);
  std::uint64_t copied = 0;
  while (copied < size) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), size - copied));
    const ssize_t n = ::read(in.get(), buf.data(), want);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(errno_error(errno, source.string()));
    if (n == 0) return fail(Code::Io, "{}: shrank while it was archived", source.string());
    RATCHET_TRY(
        write_all(fd_.get(), std::span(buf).first(static_cast<std::size_t>(n)), part_.string()));
    copied += static_cast<std::uint64_t>(n);
  }
  return pad(size);
}

Status UstarWriter::finish() {
  static constexpr std::array<std::byte, 2 * kBlock> kEnd{};
  RATCHET_TRY(write_all(fd_.get(), kEnd, part_.string()));
  if (::fsync(fd_.get()) != 0) return fail(errno_error(errno, part_.string()));
  if (const int err = fd_.close_checked(); err != 0) return fail(errno_error(err, part_.string()));
  if (::rename(part_.c_str(), path_.c_str()) != 0) return fail(errno_error(errno, path_.string()));
  done_ = true;
  return sync_directory(path_.parent_path().empty() ? "." : path_.parent_path());
}

}  // namespace ratchet::repo
