#include "bootctl/slot.hpp"

#include <gtest/gtest.h>

namespace ratchet::bootctl {
namespace {

TEST(Slot, NamesAndOther) {
  EXPECT_EQ(slot_name(Slot::A), "a");
  EXPECT_EQ(slot_name(Slot::B), "b");
  EXPECT_EQ(other(Slot::A), Slot::B);
  EXPECT_EQ(parse_slot("b"), Slot::B);
  EXPECT_EQ(parse_slot("B"), Slot::B);
  EXPECT_FALSE(parse_slot("c").has_value());
  EXPECT_FALSE(parse_slot("").has_value());
}

}  // namespace
}  // namespace ratchet::bootctl
