// Confirming a trial boot over the real libubootenv with a fake watchdog (the one part that
// cannot run here): good only after every check passed, the floors only after good, the
// watchdog kept alive through a slow check and left armed when the slot is bad.
#include "bootctl/confirmation.hpp"

#include <fstream>

#include <gtest/gtest.h>

#include "bootctl/linux_watchdog.hpp"
#include "bootctl/uboot_env.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/uboot_env_files.hpp"

namespace ratchet::bootctl {
namespace {

class FakeWatchdog final : public Watchdog {
 public:
  Status arm(std::chrono::seconds timeout) override {
    armed = true;
    timeout_seconds = timeout.count();
    return {};
  }
  Status keep_alive() override {
    if (!armed) return fail(Code::Internal, "keep_alive before arm");
    ++keep_alives;
    return {};
  }
  Status disarm() override {
    armed = false;
    return {};
  }
  std::string describe() const override { return "fake"; }
  bool armed = false;
  long timeout_seconds = 0;
  int keep_alives = 0;
};

class ConfirmationTest : public ::testing::Test {
 protected:
  test::TempDir dir;
  test::UbootEnvFiles files{dir / "env"};
  UbootEnv env{files.config, files.defaults};
  BootControl control{env, dir / "cmdline"};
  FakeWatchdog watchdog;
  int floors_advanced = 0;
  bool slot_was_good_when_floors_moved = false;

  void SetUp() override {
    ASSERT_TRUE(env.write({{"ratchet_slot", "a"}, {"ratchet_good_a", "1"}}));
    ASSERT_TRUE(control.arm_trial(Slot::B));
    std::ofstream(dir / "cmdline") << "ratchet.slot=b\n";
  }

  Result<ConfirmResult> confirm(std::vector<HealthCheck> checks) {
    ConfirmOptions o;
    o.checks = std::move(checks);
    o.watchdog_timeout = std::chrono::seconds(30);
    o.keep_alive_every = std::chrono::milliseconds(50);
    return confirm_trial(control, &watchdog, o, [this](Slot good) -> Status {
      EXPECT_EQ(good, Slot::B);
      ++floors_advanced;
      slot_was_good_when_floors_moved =
          control.status().value().state.health_of(Slot::B) == Health::Good;
      return {};
    });
  }
  BootState state() { return control.status().value().state; }
};

TEST_F(ConfirmationTest, PassingChecksMarkGoodThenAdvanceFloorsThenDisarm) {
  auto r = confirm({{"true", std::chrono::seconds(10)}, {"test -d /", std::chrono::seconds(10)}});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->outcome, ConfirmOutcome::Good);
  EXPECT_EQ(state().health_of(Slot::B), Health::Good);
  EXPECT_FALSE(state().trial);
  EXPECT_EQ(floors_advanced, 1);
  EXPECT_TRUE(slot_was_good_when_floors_moved);
  EXPECT_EQ(watchdog.timeout_seconds, 30);
  EXPECT_FALSE(watchdog.armed);
}

TEST_F(ConfirmationTest, FailingCheckMarksBadAndNeverAdvancesFloors) {
  auto r = confirm({{"true", std::chrono::seconds(10)},
                    {"exit 3", std::chrono::seconds(10)},
                    {"touch " + (dir / "never").string(), std::chrono::seconds(10)}});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->outcome, ConfirmOutcome::Bad);
  EXPECT_EQ(r->reason->code(), Code::HealthCheckFailed);
  EXPECT_NE(r->reason->message().find("'exit 3' exited with 3"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir / "never"));  // checks stop at the first failure
  EXPECT_EQ(state().next, Slot::A);
  EXPECT_EQ(state().health_of(Slot::B), Health::Bad);
  EXPECT_EQ(floors_advanced, 0);
  EXPECT_TRUE(watchdog.armed);  // the backstop while rebooting into the fallback
}

TEST_F(ConfirmationTest, HangingCheckIsKilledAtItsTimeoutWhileTheWatchdogIsKeptAlive) {
  auto r = confirm({{"sleep 30 & wait", std::chrono::seconds(1)}});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->outcome, ConfirmOutcome::Bad);
  EXPECT_NE(r->reason->message().find("did not finish within 1 s"), std::string::npos);
  EXPECT_GE(watchdog.keep_alives, 1);
  EXPECT_EQ(state().next, Slot::A);
}

TEST_F(ConfirmationTest, AWatchdogThatCannotBeArmedChangesNothing) {
  LinuxWatchdog broken(dir / "no-watchdog");
  auto r = confirm_trial(control, &broken, {}, nullptr);
  ASSERT_FALSE(r);
  EXPECT_TRUE(state().trial);  // still on trial: the bootloader keeps counting
  EXPECT_EQ(state().next, Slot::B);
}

TEST_F(ConfirmationTest, RunningTheOldSlotMeansTheTrialFailed) {
  std::ofstream(dir / "cmdline") << "ratchet.slot=a\n";
  auto r = confirm({{"true", std::chrono::seconds(10)}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->outcome, ConfirmOutcome::Bad);
  EXPECT_EQ(state().next, Slot::A);
  EXPECT_EQ(floors_advanced, 0);
}

TEST_F(ConfirmationTest, NoTrialStillFinishesFloorsOfAGoodSlot) {
  ASSERT_TRUE(confirm({}));
  EXPECT_EQ(floors_advanced, 1);
  auto again = confirm({});  // nothing to confirm now; a crash before the floors is finished
  ASSERT_TRUE(again);
  EXPECT_EQ(again->outcome, ConfirmOutcome::NothingToConfirm);
  EXPECT_EQ(floors_advanced, 2);
}

}  // namespace
}  // namespace ratchet::bootctl
