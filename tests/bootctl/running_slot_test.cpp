// What the running slot allows, whatever the environment claims.
#include "bootctl/running_slot.hpp"

#include <gtest/gtest.h>

namespace ratchet::bootctl {
namespace {

BootState normal(Slot next) {
  BootState s;
  s.next = next;
  return s;
}
BootState trial_of(Slot next) {
  BootState s;
  s.next = next;
  s.previous = other(next);
  s.trial = true;
  return s;
}
BootedSlot running(Slot s) {
  return {s, "ratchet.slot="};
}

TEST(RunningSlot, AnInstallWritesOnlyTheSlotThatNeitherRunsNorBoots) {
  EXPECT_EQ(slot_to_write(normal(Slot::A), running(Slot::A)).value(), Slot::B);
  EXPECT_EQ(slot_to_write(normal(Slot::B), running(Slot::B)).value(), Slot::A);
  // Armed but not yet rebooted: the trial slot is rewritten (the caller disarms it first).
  EXPECT_EQ(slot_to_write(trial_of(Slot::B), running(Slot::A)).value(), Slot::B);
}

TEST(RunningSlot, NothingIsWrittenWhenTheRunningSlotIsUnknown) {
  const auto r = slot_to_write(normal(Slot::A), {std::nullopt, "no ratchet.slot="});
  EXPECT_EQ(r.error().code(), Code::BootedSlotUnknown);
  EXPECT_NE(r.error().message().find("(no ratchet.slot=)"), std::string::npos);
}

TEST(RunningSlot, TheEnvironmentCannotSteerAWriteIntoWhatRunsOrWhatBoots) {
  // The environment boots b, a runs: writing b would leave the bootloader a half-written slot.
  auto r = slot_to_write(normal(Slot::B), running(Slot::A));
  EXPECT_EQ(r.error().code(), Code::SlotMismatch);
  EXPECT_NE(r.error().message().find("boots slot b next, but slot a is running"), std::string::npos)
      << r.error().message();
  // An unconfirmed trial runs: its fallback is not written.
  r = slot_to_write(trial_of(Slot::B), running(Slot::B));
  EXPECT_EQ(r.error().code(), Code::SlotMismatch);
  EXPECT_EQ(code_kind(Code::SlotMismatch), ErrorKind::Local);
  EXPECT_EQ(code_kind(Code::BootedSlotUnknown), ErrorKind::Local);
}

TEST(RunningSlot, DisagreementIsReported) {
  EXPECT_EQ(env_disagreement(normal(Slot::A), Slot::A), "");
  EXPECT_EQ(env_disagreement(normal(Slot::A), std::nullopt), "");
  EXPECT_EQ(env_disagreement(trial_of(Slot::B), Slot::A), "");
  EXPECT_EQ(env_disagreement(normal(Slot::B), Slot::A),
            "the boot environment boots slot b next, but slot a is running (no trial armed)");
}

}  // namespace
}  // namespace ratchet::bootctl
