#include "common/result.hpp"

#include <memory>
#include <string>

#include <gtest/gtest.h>

namespace ratchet {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return fail(Code::InvalidArgument, "value {} is not positive", v);
  return v;
}

Result<int> doubled(int v) {
  const int x = RATCHET_TRY(parse_positive(v));
  return 2 * x;
}

Status check_both(int a, int b) {
  RATCHET_TRY(parse_positive(a));
  RATCHET_TRY_CTX(parse_positive(b), "second");
  return {};
}

Result<std::unique_ptr<int>> make_unique_value(bool ok) {
  if (!ok) return fail(Code::NotFound, "nothing");
  return std::make_unique<int>(7);
}

Result<int> take_move_only(bool ok) {
  auto p = RATCHET_TRY(make_unique_value(ok));  // the value is moved out, not copied
  return *p;
}

TEST(Result, ValuePassesThroughTry) {
  auto r = doubled(21);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, 42);
}

TEST(Result, ErrorPropagatesWithCodeAndMessage) {
  auto r = doubled(-3);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), Code::InvalidArgument);
  EXPECT_EQ(r.error().message(), "value -3 is not positive");
}

TEST(Result, StatusAndContext) {
  EXPECT_TRUE(check_both(1, 2).has_value());
  auto first = check_both(0, 2);
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().message(), "value 0 is not positive");
  auto second = check_both(1, 0);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().message(), "second: value 0 is not positive");
}

TEST(Result, MoveOnlyValues) {
  EXPECT_EQ(take_move_only(true).value(), 7);
  EXPECT_EQ(take_move_only(false).error().code(), Code::NotFound);
}

TEST(Result, WithContext) {
  Result<int> r = with_context(parse_positive(0), "config.toml");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().to_string(), "InvalidArgument: config.toml: value 0 is not positive");
  EXPECT_EQ(with_context(parse_positive(5), "x").value(), 5);
}

}  // namespace
}  // namespace ratchet
