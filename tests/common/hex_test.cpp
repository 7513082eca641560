#include "common/hex.hpp"

#include <gtest/gtest.h>

#include "common/constant_time.hpp"

namespace ratchet {
namespace {

std::vector<std::byte> bytes(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int b : v)
    out.push_back(static_cast<std::byte>(b));
  return out;
}

TEST(Hex, RoundTrip) {
  const auto b = bytes({0x00, 0x01, 0xab, 0xff});
  EXPECT_EQ(to_hex(b), "0001abff");
  EXPECT_EQ(from_hex("0001ABff").value(), b);
  EXPECT_EQ(from_hex("").value().size(), 0U);
}

TEST(Hex, RejectsOddLengthAndBadDigits) {
  EXPECT_EQ(from_hex("abc").error().code(), Code::InvalidArgument);
  auto bad = from_hex("00zz");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "not a hex digit at offset 2");
}

TEST(ConstantTime, ComparesLengthAndContent) {
  const auto a = bytes({1, 2, 3});
  EXPECT_TRUE(constant_time_equal(a, bytes({1, 2, 3})));
  EXPECT_FALSE(constant_time_equal(a, bytes({1, 2, 4})));
  EXPECT_FALSE(constant_time_equal(a, bytes({1, 2})));
  EXPECT_TRUE(constant_time_equal({}, {}));
}

}  // namespace
}  // namespace ratchet
