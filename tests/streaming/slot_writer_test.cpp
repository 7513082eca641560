#include "streaming/slot_writer.hpp"

#include <gtest/gtest.h>

#include "tests/support/data.hpp"
#include "tests/support/temp_dir.hpp"

namespace ratchet::streaming {
namespace {

bool all_zero(std::span<const std::byte> b) {
  return std::all_of(b.begin(), b.end(), [](std::byte x) { return x == std::byte{0}; });
}

class SlotWriterTest : public ::testing::TestWithParam<bool> {
 protected:
  test::TempDir dir;
  SlotWriterOptions options() const {
    SlotWriterOptions o;
    o.mode = GetParam() ? WriteMode::Direct : WriteMode::Buffered;
    o.head_size = 64 * 1024;
    o.create = true;
    return o;
  }
};

TEST_P(SlotWriterTest, HeadIsInvalidatedFirstAndWrittenLast) {
  const auto old_fs = test::random_bytes(1u << 20, 1);
  test::write_bytes(dir / "slot", old_fs);
  const auto image = test::random_bytes((1u << 20) - 1000, 2);  // unaligned tail
  auto w = SlotWriter::open(dir / "slot", image.size(), options()).value();
  // The old filesystem's head is gone before any new byte is written.
  auto now = test::read_bytes(dir / "slot");
  EXPECT_TRUE(all_zero(std::span(now).first(64 * 1024)));
  ASSERT_TRUE(w->write(std::span(image).first(700000)));
  ASSERT_TRUE(w->write(std::span(image).subspan(700000)));
  ASSERT_TRUE(w->sync());
  now = test::read_bytes(dir / "slot");
  EXPECT_TRUE(all_zero(std::span(now).first(64 * 1024)));  // still held back
  ASSERT_TRUE(w->finish());
  now = test::read_bytes(dir / "slot");
  ASSERT_EQ(now.size(), old_fs.size());  // a slot keeps its size
  EXPECT_EQ(std::memcmp(now.data(), image.data(), image.size()), 0);
}

TEST_P(SlotWriterTest, OversizedAndShortWrites) {
  const auto image = test::random_bytes(200000, 3);
  auto w = SlotWriter::open(dir / "slot", image.size(), options()).value();
  ASSERT_TRUE(w->write(image));
  EXPECT_EQ(w->write(test::as_bytes("x")).error().code(), Code::TooLarge);
  auto w2 = SlotWriter::open(dir / "slot2", image.size(), options()).value();
  ASSERT_TRUE(w2->write(std::span(image).first(100000)));
  EXPECT_EQ(w2->finish().error().code(), Code::LengthMismatch);
}

TEST_P(SlotWriterTest, ResumeWithTheSavedHead) {
  const auto image = test::random_bytes(600 * 1024, 4);
  std::vector<std::byte> head;
  {
    auto w = SlotWriter::open(dir / "slot", image.size(), options()).value();
    ASSERT_TRUE(w->write(std::span(image).first(256 * 1024)));
    ASSERT_TRUE(w->sync());
    head = w->head();
  }  // "power cut": never finished
  auto w = SlotWriter::open(dir / "slot", image.size(), options(), 256 * 1024, head).value();
  ASSERT_TRUE(w->write(std::span(image).subspan(256 * 1024)));
  ASSERT_TRUE(w->finish());
  EXPECT_EQ(test::read_bytes(dir / "slot"), image);
  EXPECT_EQ(SlotWriter::open(dir / "slot", image.size(), options(), 1000, head).error().code(),
            Code::InvalidArgument);
}

TEST_P(SlotWriterTest, SkipIdenticalLeavesMatchingBlocksAlone) {
  const auto image = test::random_bytes(2u << 20, 5);
  test::write_bytes(dir / "slot", image);
  auto o = options();
  o.skip_identical = true;
  auto changed = image;
  changed[(1u << 20) + 5] ^= std::byte{1};
  auto w = SlotWriter::open(dir / "slot", changed.size(), o).value();
  for (std::size_t off = 0; off < changed.size(); off += 256 * 1024)
    ASSERT_TRUE(w->write(std::span(changed).subspan(off, 256 * 1024)));
  ASSERT_TRUE(w->finish());
  EXPECT_EQ(test::read_bytes(dir / "slot"), changed);
  EXPECT_GT(w->stats().skipped, 0U);
  EXPECT_LT(w->stats().written, changed.size());
}

INSTANTIATE_TEST_SUITE_P(BufferedAndDirect, SlotWriterTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Direct" : "Buffered"; });

}  // namespace
}  // namespace ratchet::streaming

namespace ratchet::streaming {
namespace {

TEST(SlotWriterMode, AutoIsBufferedForRegularFiles) {
  test::TempDir dir;
  auto w = SlotWriter::open(dir / "slot", 4096, {.create = true}).value();
  EXPECT_FALSE(w->direct());
  SlotWriterOptions direct;
  direct.mode = WriteMode::Direct;
  direct.create = true;
  EXPECT_TRUE(SlotWriter::open(dir / "slot2", 4096, direct).value()->direct());
  EXPECT_EQ(parse_write_mode("direct").value(), WriteMode::Direct);
  EXPECT_EQ(parse_write_mode("fast").error().code(), Code::InvalidArgument);
}

}  // namespace
}  // namespace ratchet::streaming
