#include "common/fd.hpp"

#include <cerrno>

#include <unistd.h>

namespace ratchet {

void UniqueFd::reset(int fd) noexcept {
  if (fd_ >= 0 && fd_ != fd) (void)::close(fd_);
  fd_ = fd;
}

int UniqueFd::close_checked() noexcept {
  if (fd_ < 0) return 0;
  const int rc = ::close(std::exchange(fd_, -1));
  // EINTR after close(2) on Linux still released the descriptor; the data question is moot.
  return (rc == 0 || errno == EINTR) ? 0 : errno;
}

}  // namespace ratchet
