// An owned POSIX file descriptor.
#pragma once

#include <utility>

namespace ratchet {

class UniqueFd {
 public:
  UniqueFd() noexcept = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
  explicit operator bool() const noexcept { return valid(); }

  // Gives up ownership without closing.
  [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }

  // Closes the current descriptor (if any) and takes `fd`. Close errors on a read-only or already
  // synced descriptor carry no information we could act on; writers call close_checked() instead.
  void reset(int fd = -1) noexcept;

  // Closes and reports the close(2) error: for files we wrote, a failed close can mean lost data.
  [[nodiscard]] int close_checked() noexcept;

 private:
  int fd_ = -1;
};

static_assert(sizeof(UniqueFd) == sizeof(int));

}  // namespace ratchet
