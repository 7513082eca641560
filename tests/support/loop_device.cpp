#include "tests/support/loop_device.hpp"

#include <unistd.h>

#include "tests/support/process.hpp"

namespace ratchet::test {

LoopDevice::LoopDevice(const std::filesystem::path& backing) {
  if (::geteuid() != 0) {
    error_ = "loop devices need root";
    return;
  }
  auto r = run_process({"losetup", "--find", "--show", backing.string()});
  if (r.exit_code == 0 && !r.out.empty()) device_ = r.out.substr(0, r.out.find('\n'));
  error_ = r.err;
}

LoopDevice::~LoopDevice() {
  if (!device_.empty()) (void)run_process({"losetup", "-d", device_});
}

}  // namespace ratchet::test
