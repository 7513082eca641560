// BootControl over the real libubootenv: every transition is one store (the redundant copies'
// flag moves by exactly one), a transition that changes nothing stores nothing.
#include "bootctl/boot_control.hpp"

#include <fstream>

#include <gtest/gtest.h>

#include "bootctl/uboot_env.hpp"
#include "tests/support/data.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/uboot_env_files.hpp"

namespace ratchet::bootctl {
namespace {

class BootControlTest : public ::testing::Test {
 protected:
  test::TempDir dir;
  test::UbootEnvFiles files{dir / "env"};
  UbootEnv env{files.config, files.defaults};
  BootControl control{env, dir / "cmdline"};

  void SetUp() override {
    // The factory environment: slot a, known good.
    ASSERT_TRUE(env.write({{"ratchet_slot", "a"}, {"ratchet_good_a", "1"}}));
    ASSERT_TRUE(env.write({{"bootlimit", "3"}}));  // both copies now valid, flags 0 and 1
    booted("a");
  }
  void booted(const std::string& slot) {
    std::ofstream(dir / "cmdline")
        << "console=ttyS0 root=/dev/vda2 ratchet.slot=" << slot << " quiet\n";
  }
  // The redundant environment's flag: incremented by one on every store.
  unsigned stores() {
    const auto a = test::read_bytes(files.copy0);
    const auto b = test::read_bytes(files.copy1);
    return std::max(std::to_integer<unsigned>(a[4]) & 0xffu,
                    std::to_integer<unsigned>(b[4]) & 0xffu);
  }
  BootState state() { return control.status().value().state; }
};

TEST_F(BootControlTest, TrialThenGoodIsTwoStores) {
  const unsigned start = stores();
  ASSERT_TRUE(control.arm_trial(Slot::B));
  EXPECT_EQ(stores(), start + 1);
  auto st = control.status().value();
  EXPECT_TRUE(st.state.trial);
  EXPECT_EQ(st.state.next, Slot::B);
  EXPECT_EQ(st.state.tries_left(), 3U);
  EXPECT_EQ(st.booted.slot, Slot::A);
  booted("b");
  ASSERT_TRUE(control.mark_good());
  EXPECT_EQ(stores(), start + 2);
  EXPECT_FALSE(state().trial);
  EXPECT_EQ(state().health_of(Slot::B), Health::Good);
  ASSERT_TRUE(control.mark_good());  // again: already so, no store
  EXPECT_EQ(stores(), start + 2);
}

TEST_F(BootControlTest, TrialThenBadFallsBackInOneStore) {
  ASSERT_TRUE(control.arm_trial(Slot::B));
  const unsigned armed = stores();
  ASSERT_TRUE(control.mark_bad());
  EXPECT_EQ(stores(), armed + 1);
  EXPECT_EQ(state().next, Slot::A);
  EXPECT_EQ(state().health_of(Slot::B), Health::Bad);
  EXPECT_FALSE(state().trial);
}

TEST_F(BootControlTest, RefusedTransitionStoresNothing) {
  ASSERT_TRUE(control.arm_trial(Slot::B));
  const auto before0 = test::read_bytes(files.copy0);
  const auto before1 = test::read_bytes(files.copy1);
  EXPECT_EQ(control.arm_trial(Slot::A).error().code(), Code::BootEnv);
  EXPECT_EQ(test::read_bytes(files.copy0), before0);
  EXPECT_EQ(test::read_bytes(files.copy1), before1);
}

TEST_F(BootControlTest, SetNextArmsATrial) {
  ASSERT_TRUE(control.set_next(Slot::B));
  EXPECT_TRUE(state().trial);
  const unsigned armed = stores();
  ASSERT_TRUE(control.set_next(Slot::B));  // already next
  EXPECT_EQ(stores(), armed);
}

}  // namespace
}  // namespace ratchet::bootctl
