#include "bootctl/linux_watchdog.hpp"

#include <cerrno>

#include <fcntl.h>
#include <linux/watchdog.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/file.hpp"

namespace ratchet::bootctl {

Status LinuxWatchdog::arm(std::chrono::seconds timeout) {
  if (!fd_) fd_ = RATCHET_TRY(open_file(device_, O_WRONLY));
  int seconds = static_cast<int>(timeout.count());
  if (::ioctl(fd_.get(), WDIOC_SETTIMEOUT, &seconds) != 0)
    return fail(errno_error(errno, device_.string() + ": WDIOC_SETTIMEOUT"));
  return keep_alive();
}

Status LinuxWatchdog::keep_alive() {
  if (!fd_) return fail(Code::Internal, "{}: keep_alive before arm", device_.string());
  int dummy = 0;
  if (::ioctl(fd_.get(), WDIOC_KEEPALIVE, &dummy) != 0)
    return fail(errno_error(errno, device_.string() + ": WDIOC_KEEPALIVE"));
  return {};
}

Status LinuxWatchdog::disarm() {
  if (!fd_) return {};
  const char magic = 'V';
  if (::write(fd_.get(), &magic, 1) != 1)
    return fail(errno_error(errno, device_.string() + ": magic close"));
  fd_.reset();
  return {};
}

}  // namespace ratchet::bootctl
