#include <gtest/gtest.h>

#include "streaming/chunk_gate.hpp"
#include "streaming/chunk_list.hpp"
#include "streaming/memory_sink.hpp"
#include "tests/support/data.hpp"
#include "tests/support/temp_dir.hpp"

namespace ratchet::streaming {
namespace {

TEST(ChunkList, RoundTripAndFileMatchesBytes) {
  test::TempDir dir;
  const auto image = test::random_bytes(3 * 4096 + 100, 1);
  test::write_bytes(dir / "img", image);
  auto a = ChunkList::of_bytes(image, 4096).value();
  auto b = ChunkList::of_file(dir / "img", 4096).value();
  EXPECT_EQ(a.serialize(), b.serialize());
  EXPECT_EQ(a.count(), 4U);
  EXPECT_EQ(a.chunk_length(3), 100U);
  const std::string s = a.serialize();
  EXPECT_EQ(s.size(), ChunkList::kHeaderSize + 4 * 32);
  auto parsed = ChunkList::parse(test::as_bytes(s));
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  EXPECT_EQ(parsed->serialize(), s);
}

TEST(ChunkList, ParseRejectsMalformedLists) {
  const auto image = test::random_bytes(10000, 2);
  const std::string good = ChunkList::of_bytes(image, 4096).value().serialize();
  auto bad_magic = good;
  bad_magic[0] = 'X';
  EXPECT_EQ(ChunkList::parse(test::as_bytes(bad_magic)).error().code(), Code::BadMetadata);
  auto missing = good.substr(0, good.size() - 32);
  EXPECT_EQ(ChunkList::parse(test::as_bytes(missing)).error().code(), Code::BadMetadata);
  auto odd_size = good;
  odd_size[8] = '\x01';  // chunk size 4097
  EXPECT_EQ(ChunkList::parse(test::as_bytes(odd_size)).error().code(), Code::BadMetadata);
  EXPECT_EQ(ChunkList::parse(test::as_bytes(good), 50).error().code(), Code::TooLarge);
  EXPECT_EQ(ChunkList::parse(test::as_bytes("RCH")).error().code(), Code::BadMetadata);
  EXPECT_EQ(ChunkList::of_bytes(image, 1000).error().code(), Code::BadMetadata);
}

TEST(ChunkGate, RandomSizedPiecesPass) {
  const auto image = test::random_bytes(10 * 4096 + 7, 3);
  const auto list = ChunkList::of_bytes(image, 4096).value();
  MemorySink out(1 << 20);
  ChunkGate gate(out, list, "img");
  std::size_t off = 0;
  std::size_t step = 1;
  while (off < image.size()) {
    const std::size_t n = std::min(step, image.size() - off);
    ASSERT_TRUE(gate.write(std::span(image).subspan(off, n)));
    off += n;
    step = step * 3 % 9001 + 1;
  }
  ASSERT_TRUE(gate.finish());
  EXPECT_EQ(out.data().size(), image.size());
  EXPECT_EQ(std::memcmp(out.data().data(), image.data(), image.size()), 0);
}

TEST(ChunkGate, ABadChunkNeverReachesTheNextStage) {
  const auto image = test::random_bytes(8 * 4096, 4);
  const auto list = ChunkList::of_bytes(image, 4096).value();
  auto tampered = image;
  tampered[5 * 4096 + 10] ^= std::byte{0x80};
  MemorySink out(1 << 20);
  ChunkGate gate(out, list, "img");
  auto r = gate.write(tampered);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::ChunkMismatch);
  EXPECT_NE(r.error().message().find("img: chunk 5 (offset 20480, 4096 bytes)"), std::string::npos)
      << r.error().message();
  EXPECT_EQ(out.data().size(), 5U * 4096);  // exactly the five verified chunks
  EXPECT_EQ(gate.verified_bytes(), 5U * 4096);
}

TEST(ChunkGate, OversizedAndTruncatedStreams) {
  const auto image = test::random_bytes(2 * 4096, 5);
  const auto list = ChunkList::of_bytes(image, 4096).value();
  {
    MemorySink out(1 << 20);
    ChunkGate gate(out, list, "img");
    ASSERT_TRUE(gate.write(image));
    EXPECT_EQ(gate.write(test::as_bytes("x")).error().code(), Code::TooLarge);
  }
  {
    MemorySink out(1 << 20);
    ChunkGate gate(out, list, "img");
    ASSERT_TRUE(gate.write(std::span(image).first(5000)));
    auto r = gate.finish();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), Code::LengthMismatch);
    EXPECT_EQ(out.data().size(), 4096U);
    EXPECT_FALSE(out.finished());
  }
}

TEST(ChunkGate, StartsAtAResumedChunk) {
  const auto image = test::random_bytes(4 * 4096, 6);
  const auto list = ChunkList::of_bytes(image, 4096).value();
  MemorySink out(1 << 20);
  ChunkGate gate(out, list, "img", 2);
  ASSERT_TRUE(gate.write(std::span(image).subspan(2 * 4096)));
  ASSERT_TRUE(gate.finish());
  EXPECT_EQ(out.data().size(), 2U * 4096);
}

}  // namespace
}  // namespace ratchet::streaming

namespace ratchet::streaming {
namespace {

// Two gates sharing the work (one per thread) together still stop every bad chunk.
TEST(ChunkGate, SharedGatesCatchBadEvenAndOddChunks) {
  const auto image = test::random_bytes(6 * 4096, 7);
  const auto list = ChunkList::of_bytes(image, 4096).value();
  for (std::size_t bad : {2UL, 3UL}) {
    auto tampered = image;
    tampered[bad * 4096 + 1] ^= std::byte{1};
    MemorySink out(1 << 20);
    ChunkGate odd(out, list, "img", 0, ChunkGate::Share::Odd);
    ChunkGate even(odd, list, "img", 0, ChunkGate::Share::Even);
    auto r = even.write(tampered);
    ASSERT_FALSE(r) << "chunk " << bad;
    EXPECT_EQ(r.error().code(), Code::ChunkMismatch);
    EXPECT_EQ(out.data().size(), bad * 4096);
  }
}

}  // namespace
}  // namespace ratchet::streaming
