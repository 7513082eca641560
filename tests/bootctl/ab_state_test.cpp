// The A/B state machine as pure functions: what each transition sets, over every state.
#include "bootctl/ab_state.hpp"

#include <gtest/gtest.h>

namespace ratchet::bootctl {
namespace {

// Applies changes to an environment, as a store would.
Vars with_changes(Vars v, const Changes& c) {
  for (const auto& [name, value] : c) {
    if (value)
      v[name] = *value;
    else
      v.erase(name);
  }
  return v;
}

const Vars kRunningA = {{"ratchet_slot", "a"},   {"ratchet_good_a", "1"},
                        {"ratchet_good_b", "1"}, {"upgrade_available", "0"},
                        {"bootcount", "0"},      {"bootlimit", "3"}};

TEST(AbState, BlankEnvironmentReadsAsTheScriptsDefaults) {
  const auto s = parse_state({});
  EXPECT_EQ(s.next, Slot::A);
  EXPECT_FALSE(s.trial);
  EXPECT_EQ(s.bootlimit, 3U);
  EXPECT_EQ(s.health_of(Slot::A), Health::Indeterminate);
  EXPECT_TRUE(s.notes.empty());
}

TEST(AbState, MalformedValuesAreDefaultedAndNoted) {
  const auto s = parse_state(
      {{"ratchet_slot", "c"}, {"bootcount", "x1"}, {"bootlimit", "0"}, {"upgrade_available", "1"}});
  EXPECT_EQ(s.next, Slot::A);
  EXPECT_EQ(s.bootlimit, 3U);
  EXPECT_EQ(s.bootcount, 3U);  // as the script reads it: used up
  EXPECT_EQ(s.tries_left(), 0U);
  EXPECT_EQ(s.notes.size(), 3U);
  EXPECT_EQ(parse_state({{"bootlimit", "100"}}).bootlimit, 3U);
}

TEST(AbState, ArmTrialSetsTheWholeTrialAtOnce) {
  const auto c = arm_trial(parse_state(kRunningA), Slot::B).value();
  const auto after = parse_state(with_changes(kRunningA, c));
  EXPECT_EQ(after.next, Slot::B);
  EXPECT_TRUE(after.trial);
  EXPECT_EQ(after.previous, Slot::A);
  EXPECT_EQ(after.health_of(Slot::B), Health::Bad);  // until it proves itself
  EXPECT_EQ(after.health_of(Slot::A), Health::Good);
  EXPECT_EQ(after.tries_left(), 3U);
}

TEST(AbState, ArmTrialTwiceOrOfTheBootSlotIsRefused) {
  const auto trial = with_changes(kRunningA, arm_trial(parse_state(kRunningA), Slot::B).value());
  EXPECT_EQ(arm_trial(parse_state(trial), Slot::A).error().code(), Code::BootEnv);
  EXPECT_EQ(arm_trial(parse_state(kRunningA), Slot::A).error().code(), Code::InvalidArgument);
}

TEST(AbState, MarkGoodEndsTheTrialOnTheNewSlot) {
  const auto trial = with_changes(kRunningA, arm_trial(parse_state(kRunningA), Slot::B).value());
  const auto good = parse_state(with_changes(trial, mark_good(parse_state(trial))));
  EXPECT_EQ(good.next, Slot::B);
  EXPECT_FALSE(good.trial);
  EXPECT_EQ(good.health_of(Slot::B), Health::Good);
  EXPECT_EQ(good.bootcount, 0U);
}

TEST(AbState, MarkBadFallsBackToThePreviousSlot) {
  auto trial = with_changes(kRunningA, arm_trial(parse_state(kRunningA), Slot::B).value());
  trial["bootcount"] = "2";
  const auto bad = parse_state(with_changes(trial, mark_bad(parse_state(trial))));
  EXPECT_EQ(bad.next, Slot::A);
  EXPECT_FALSE(bad.trial);
  EXPECT_EQ(bad.health_of(Slot::B), Health::Bad);
  EXPECT_EQ(bad.bootcount, 0U);
}

TEST(AbState, MarkBadWithoutATrialSwitchesToTheOtherSlotUnlessItIsBad) {
  const auto to_b = parse_state(with_changes(kRunningA, mark_bad(parse_state(kRunningA))));
  EXPECT_EQ(to_b.next, Slot::B);
  EXPECT_FALSE(to_b.both_bad);
  auto b_bad = kRunningA;
  b_bad["ratchet_good_b"] = "0";
  const auto both = parse_state(with_changes(b_bad, mark_bad(parse_state(b_bad))));
  EXPECT_EQ(both.next, Slot::A);  // still boots something
  EXPECT_TRUE(both.both_bad);
}

TEST(AbState, SetNextIsATrialOrNothing) {
  EXPECT_TRUE(set_next(parse_state(kRunningA), Slot::A).value().empty());
  const auto c = set_next(parse_state(kRunningA), Slot::B).value();
  EXPECT_TRUE(parse_state(with_changes(kRunningA, c)).trial);
}

TEST(AbState, OnlyChangesDropsWhatIsAlreadySo) {
  const auto c = only_changes(kRunningA, mark_good(parse_state(kRunningA)));
  EXPECT_TRUE(c.empty()) << c.size();
  const auto blank = only_changes({}, mark_good(parse_state({})));
  EXPECT_EQ(blank.at("ratchet_good_a"), "1");
  EXPECT_FALSE(blank.contains("ratchet_previous"));  // removing what is absent is no change
}

}  // namespace
}  // namespace ratchet::bootctl
