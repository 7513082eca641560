#include "streaming/memory_sink.hpp"

#include <gtest/gtest.h>

namespace ratchet::streaming {
namespace {

std::span<const std::byte> as_bytes(std::string_view s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

TEST(MemorySink, CollectsUpToTheBound) {
  MemorySink sink(8);
  ASSERT_TRUE(sink.write(as_bytes("abcd")));
  ASSERT_TRUE(sink.write(as_bytes("efgh")));
  auto over = sink.write(as_bytes("i"));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code(), Code::TooLarge);
  EXPECT_EQ(sink.data(), "abcdefgh");
  ASSERT_TRUE(sink.finish());
  EXPECT_TRUE(sink.finished());
  EXPECT_EQ(sink.write(as_bytes("x")).error().code(), Code::Internal);
}

}  // namespace
}  // namespace ratchet::streaming
