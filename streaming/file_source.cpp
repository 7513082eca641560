#include "streaming/file_source.hpp"

#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "common/file.hpp"

namespace ratchet::streaming {

Status FileSource::read_into(std::uint64_t offset, Sink& sink) {
  auto fd =
      RATCHET_TRY(kind_ == Kind::Input ? open_regular_file(path_) : open_file(path_, O_RDONLY));
  (void)::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  std::vector<std::byte> buf(read_size_);
  if (offset > UINT64_MAX - base_) return fail(Code::InvalidArgument, "{}: offset", path_.string());
  std::uint64_t at = base_ + offset;
  const std::uint64_t end = limit_ == 0 ? UINT64_MAX : base_ + limit_;
  while (at < end) {
    // Read straight into the chain's buffer when it offers a big enough one (no extra copy).
    std::span<std::byte> dst = sink.write_buffer();
    if (dst.size() < std::size_t{64} * 1024) dst = buf;
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(dst.size(), end - at));
    const ssize_t n = ::pread(fd.get(), dst.data(), want, static_cast<off_t>(at));
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(errno_error(errno, path_.string()));
    }
    if (n == 0) return {};
    RATCHET_TRY(sink.write(dst.first(static_cast<std::size_t>(n))));
    at += static_cast<std::uint64_t>(n);
  }
  return {};
}

}  // namespace ratchet::streaming
