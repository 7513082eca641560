// LinuxWatchdog's failure paths (a real watchdog device cannot be armed on a test machine: it
// would reset it). A device that is missing or is not a watchdog is a clear error.
#include "bootctl/linux_watchdog.hpp"

#include <gtest/gtest.h>

namespace ratchet::bootctl {
namespace {

TEST(LinuxWatchdog, MissingDeviceIsAClearError) {
  LinuxWatchdog w("/nonexistent/watchdog");
  auto r = w.arm(std::chrono::seconds(10));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("/nonexistent/watchdog"), std::string::npos);
}

TEST(LinuxWatchdog, NotAWatchdogIsAClearError) {
  LinuxWatchdog w("/dev/null");
  auto r = w.arm(std::chrono::seconds(10));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("WDIOC_SETTIMEOUT"), std::string::npos) << r.error().message();
}

TEST(LinuxWatchdog, KeepAliveBeforeArmIsRefusedAndDisarmIsHarmless) {
  LinuxWatchdog w("/dev/null");
  EXPECT_EQ(w.keep_alive().error().code(), Code::Internal);
  EXPECT_TRUE(w.disarm());
}

}  // namespace
}  // namespace ratchet::bootctl
