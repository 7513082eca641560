// The stand-in Expected used where the standard library has no std::expected (clang-14 builds).
#include "common/expected.hpp"

#include <memory>
#include <string>

#include <gtest/gtest.h>

namespace ratchet::compat {
namespace {

Expected<int, std::string> half(int v) {
  if (v % 2 != 0) return Unexpected<std::string>("odd");
  return v / 2;
}

TEST(CompatExpected, ValueAndError) {
  auto ok = half(8);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(*ok, 4);
  EXPECT_EQ(ok.value(), 4);
  auto bad = half(3);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), "odd");
  EXPECT_THROW((void)bad.value(), BadExpectedAccess);
}

TEST(CompatExpected, MoveOnlyAndInPlaceError) {
  Expected<std::unique_ptr<int>, std::string> p(std::make_unique<int>(5));
  std::unique_ptr<int> taken = std::move(p).value();
  EXPECT_EQ(*taken, 5);
  Expected<std::unique_ptr<int>, std::string> e = Unexpected<std::string>(std::in_place, 3, 'x');
  EXPECT_EQ(e.error(), "xxx");
}

TEST(CompatExpected, Void) {
  Expected<void, std::string> ok;
  EXPECT_TRUE(ok.has_value());
  EXPECT_NO_THROW(ok.value());
  Expected<void, std::string> bad = Unexpected<std::string>("no");
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.error(), "no");
  EXPECT_THROW(bad.value(), BadExpectedAccess);
}

}  // namespace
}  // namespace ratchet::compat
