// A loop device over a file for tests that install into real block devices (root only: callers
// skip cleanly when device() is empty).
#pragma once

#include <filesystem>
#include <string>

namespace ratchet::test {

class LoopDevice {
 public:
  explicit LoopDevice(const std::filesystem::path& backing);
  ~LoopDevice();
  LoopDevice(const LoopDevice&) = delete;
  LoopDevice& operator=(const LoopDevice&) = delete;

  // "/dev/loopN", or empty when none could be set up (see error()).
  [[nodiscard]] const std::string& device() const { return device_; }
  [[nodiscard]] const std::string& error() const { return error_; }

 private:
  std::string device_;
  std::string error_;
};

}  // namespace ratchet::test
