// The agent's side (BootControl over libubootenv) and the bootloader's side (bootctl/uboot/boot.cmd
// in real U-Boot: Debian's qemu-x86_64 u-boot.rom under qemu-system-x86_64, TCG) on the same
// environment file. Each boot() is one QEMU run of tests/bootctl/uboot-qemu.sh; the slot it
// chose and the environment it left are read back on the host.
#include <fstream>

#include <gtest/gtest.h>

#include "bootctl/boot_control.hpp"
#include "bootctl/uboot_env.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/uboot_env_files.hpp"

#ifndef RATCHET_SOURCE_DIR
#error "the build defines RATCHET_SOURCE_DIR"
#endif

namespace ratchet::bootctl {
namespace {

class UbootQemu : public ::testing::Test {
 protected:
  test::TempDir dir;
  // What U-Boot's `env export -c` writes: one copy, CRC32 + data, no flags byte.
  test::UbootEnvFiles files{dir.path(), false};
  UbootEnv env{files.config, files.defaults};
  BootControl control{env, dir / "cmdline"};

  void SetUp() override {
    ASSERT_TRUE(env.write({{"ratchet_slot", "a"}, {"ratchet_good_a", "1"}, {"bootdelay", "0"}}));
  }

  // One power-on. Returns the slot U-Boot booted ("none" if it booted nothing).
  std::string boot() {
    auto r = test::run_process(
        {"bash", RATCHET_SOURCE_DIR "/tests/bootctl/uboot-qemu.sh", dir.path().string()}, {},
        std::chrono::seconds(180));
    if (r.exit_code == 77) {
      skipped = true;
      return "skip";
    }
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    std::ifstream in(dir / "booted.txt");
    std::string line;
    std::getline(in, line);
    const std::string prefix = "ratchet_booted=";
    if (!line.starts_with(prefix)) return "none";
    const std::string slot = line.substr(prefix.size());
    std::ofstream(dir / "cmdline") << "ratchet.slot=" << slot << "\n";
    return slot;
  }
  BootState state() { return control.status().value().state; }
  bool skipped = false;
};

#define BOOT_OR_SKIP(expected)                                                         \
  do {                                                                                 \
    const std::string booted = boot();                                                 \
    if (skipped) GTEST_SKIP() << "qemu-system-x86_64 or u-boot-qemu is not installed"; \
    ASSERT_EQ(booted, expected);                                                       \
  } while (0)

TEST_F(UbootQemu, NormalBootChoosesTheSlotAndWritesNothing) {
  const auto before = control.status().value();
  BOOT_OR_SKIP("a");
  BOOT_OR_SKIP("a");
  EXPECT_EQ(state().bootcount, before.state.bootcount);
  EXPECT_FALSE(state().trial);
}

TEST_F(UbootQemu, ConfirmedTrialBecomesTheBootSlot) {
  ASSERT_TRUE(control.arm_trial(Slot::B));
  BOOT_OR_SKIP("b");
  EXPECT_EQ(state().bootcount, 1U);  // counted by U-Boot
  EXPECT_TRUE(state().trial);
  ASSERT_TRUE(control.mark_good());  // ratchet confirm, in the booted system
  BOOT_OR_SKIP("b");
  BOOT_OR_SKIP("b");
  EXPECT_EQ(state().bootcount, 0U);  // confirmed slots are never counted (brownouts)
  EXPECT_EQ(state().health_of(Slot::B), Health::Good);
}

TEST_F(UbootQemu, FailedTrialFallsBackAfterBootlimitAttempts) {
  ASSERT_TRUE(control.arm_trial(Slot::B));
  for (unsigned attempt = 1; attempt <= kDefaultBootlimit; ++attempt) {
    BOOT_OR_SKIP("b");  // the new image hangs before confirming; the watchdog resets
    EXPECT_EQ(state().bootcount, attempt);
    EXPECT_EQ(state().tries_left(), kDefaultBootlimit - attempt);
  }
  BOOT_OR_SKIP("a");
  const auto s = state();
  EXPECT_FALSE(s.trial);
  EXPECT_EQ(s.next, Slot::A);
  EXPECT_EQ(s.health_of(Slot::B), Health::Bad);
  EXPECT_EQ(s.bootcount, 0U);
  BOOT_OR_SKIP("a");
}

TEST_F(UbootQemu, MarkedBadFallsBackAtOnce) {
  ASSERT_TRUE(control.arm_trial(Slot::B));
  BOOT_OR_SKIP("b");
  ASSERT_TRUE(control.mark_bad());  // a health check failed
  BOOT_OR_SKIP("a");
}

TEST_F(UbootQemu, BothSlotsBadStillBootsAndSaysSo) {
  ASSERT_TRUE(env.write({{"ratchet_good_a", "0"}, {"ratchet_good_b", "0"}}));
  BOOT_OR_SKIP("a");
  EXPECT_TRUE(state().both_bad);
  ASSERT_TRUE(control.mark_good());  // someone repaired slot a
  EXPECT_FALSE(state().both_bad);
  BOOT_OR_SKIP("a");
}

TEST_F(UbootQemu, BlankEnvironmentBootsSlotA) {
  std::ofstream(files.copy0, std::ios::binary | std::ios::trunc)
      << std::string(test::kEnvSize, '\xff');
  BOOT_OR_SKIP("a");
  EXPECT_FALSE(env.read().value().valid);  // U-Boot did not initialise it
}

}  // namespace
}  // namespace ratchet::bootctl
