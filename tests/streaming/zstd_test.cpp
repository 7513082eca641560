#include <gtest/gtest.h>

#include "streaming/mapped_file.hpp"
#include "streaming/memory_sink.hpp"
#include "streaming/zstd_decoder.hpp"
#include "streaming/zstd_encoder.hpp"
#include "tests/support/data.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace ratchet::streaming {
namespace {

// Feeds `payload` to a decoder in pieces of varying size and returns the output.
Result<std::string> decode(const test::Bytes& payload, ZstdDecoderOptions options,
                           std::size_t max_out = 64u << 20) {
  MemorySink out(max_out);
  ZstdDecoder d(out, "payload p", std::move(options));
  std::size_t off = 0;
  std::size_t step = 1;
  while (off < payload.size()) {
    const std::size_t n = std::min(step, payload.size() - off);
    RATCHET_TRY(d.write(std::span(payload).subspan(off, n)));
    off += n;
    step = step * 7 % 70001 + 1;
  }
  RATCHET_TRY(d.finish());
  return out.data();
}

std::string str(const test::Bytes& b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

class Zstd : public ::testing::Test {
 protected:
  test::TempDir dir;
  test::Bytes old_image = test::image_like(3u << 20, 11);
  test::Bytes new_image = test::edited(old_image, 12, 100000);
  void SetUp() override {
    test::write_bytes(dir / "old", old_image);
    test::write_bytes(dir / "new", new_image);
  }
};

TEST_F(Zstd, PlainMultiFramePayloadInRandomPieces) {
  ZstdEncodeOptions eo;
  eo.frame_size = 256u << 10;
  ASSERT_TRUE(zstd_encode_file(dir / "new", dir / "new.zst", eo));
  std::vector<std::pair<std::uint64_t, std::uint64_t>> frames;
  ZstdDecoderOptions o;
  o.on_frame_end = [&](std::uint64_t in, std::uint64_t out) -> Status {
    frames.emplace_back(in, out);
    return {};
  };
  auto out = decode(test::read_bytes(dir / "new.zst"), o);
  ASSERT_TRUE(out) << out.error().to_string();
  EXPECT_EQ(*out, str(new_image));
  ASSERT_EQ(frames.size(), (new_image.size() + eo.frame_size - 1) / eo.frame_size);
  EXPECT_EQ(frames[0].second, eo.frame_size);
  EXPECT_EQ(frames.back().first, std::filesystem::file_size(dir / "new.zst"));
}

TEST_F(Zstd, DeltaAgainstTheRightReference) {
  auto ref = MappedFile::open(dir / "old").value();
  ZstdEncodeOptions eo;
  eo.frame_size = 1u << 20;
  eo.reference = ref.bytes();
  ASSERT_TRUE(zstd_encode_file(dir / "new", dir / "new.delta", eo));
  EXPECT_LT(std::filesystem::file_size(dir / "new.delta"), new_image.size() / 4);
  ZstdDecoderOptions o;
  o.reference = ref.bytes();
  auto out = decode(test::read_bytes(dir / "new.delta"), o);
  ASSERT_TRUE(out) << out.error().to_string();
  EXPECT_EQ(*out, str(new_image));
}

TEST_F(Zstd, DeltaAgainstTheWrongReferenceIsBadReference) {
  auto ref = MappedFile::open(dir / "old").value();
  ZstdEncodeOptions eo;
  eo.reference = ref.bytes();
  ASSERT_TRUE(zstd_encode_file(dir / "new", dir / "new.delta", eo));
  auto wrong_bytes = old_image;
  for (std::size_t i = 0; i < wrong_bytes.size(); i += 997)
    wrong_bytes[i] ^= std::byte{0x5a};
  test::write_bytes(dir / "wrong", wrong_bytes);
  auto wrong = MappedFile::open(dir / "wrong").value();
  ZstdDecoderOptions o;
  o.reference = wrong.bytes();
  auto out = decode(test::read_bytes(dir / "new.delta"), o);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code(), Code::BadReference) << out.error().to_string();
}

TEST_F(Zstd, DeltaFrameLargerThanTheMemoryBoundIsRefused) {
  auto ref = MappedFile::open(dir / "old").value();
  ZstdEncodeOptions eo;
  eo.frame_size = 4u << 20;
  eo.reference = ref.bytes();
  ASSERT_TRUE(zstd_encode_file(dir / "new", dir / "new.delta", eo));
  ZstdDecoderOptions o;
  o.reference = ref.bytes();
  o.max_frame_output = 1u << 20;
  auto out = decode(test::read_bytes(dir / "new.delta"), o);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code(), Code::BadCompression);
  EXPECT_NE(out.error().message().find("bounded-memory limit"), std::string::npos);
}

// Payloads made by the real zstd tool decode too: `zstd --patch-from` is a single-frame delta.
TEST_F(Zstd, PatchFromPayloadOfTheZstdCli) {
  auto r = test::run_process({"zstd", "-q", "-3", "--patch-from=" + (dir / "old").string(),
                              (dir / "new").string(), "-o", (dir / "new.patch").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto ref = MappedFile::open(dir / "old").value();
  ZstdDecoderOptions o;
  o.reference = ref.bytes();
  auto out = decode(test::read_bytes(dir / "new.patch"), o);
  ASSERT_TRUE(out) << out.error().to_string();
  EXPECT_EQ(*out, str(new_image));
  // And the plain CLI format with several frames (concatenated files).
  auto z = test::run_process(
      {"zstd", "-q", "-19", (dir / "old").string(), "-o", (dir / "a.zst").string()});
  ASSERT_EQ(z.exit_code, 0) << z.err;
  auto twice = test::read_bytes(dir / "a.zst");
  const auto once = twice;
  twice.insert(twice.end(), once.begin(), once.end());
  auto plain = decode(twice, {});
  ASSERT_TRUE(plain) << plain.error().to_string();
  EXPECT_EQ(*plain, str(old_image) + str(old_image));
}

TEST_F(Zstd, CorruptAndTruncatedPayloads) {
  ZstdEncodeOptions eo;
  ASSERT_TRUE(zstd_encode_file(dir / "new", dir / "new.zst", eo));
  auto payload = test::read_bytes(dir / "new.zst");
  auto corrupt = payload;
  corrupt[corrupt.size() / 2] ^= std::byte{0xff};
  auto bad = decode(corrupt, {});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Code::BadCompression);

  auto truncated = payload;
  truncated.resize(payload.size() - 10);
  auto cut = decode(truncated, {});
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error().code(), Code::BadCompression);
  EXPECT_NE(cut.error().message().find("ends inside frame"), std::string::npos);

  auto garbage = decode(test::random_bytes(1000, 9), {});
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().code(), Code::BadCompression);
  EXPECT_EQ(decode({}, {}).error().code(), Code::BadCompression);
}

TEST_F(Zstd, WindowLargerThanAllowedIsRefused) {
  // From a pipe the size is unknown, so zstd keeps the whole 1 GiB window in the frame header.
  auto z = test::run_process({"sh", "-c",
                              "zstd -q --long=30 -1 < '" + (dir / "new").string() + "' > '" +
                                  (dir / "long.zst").string() + "'"});
  ASSERT_EQ(z.exit_code, 0) << z.err;
  ZstdDecoderOptions o;
  o.window_log_max = 20;
  auto out = decode(test::read_bytes(dir / "long.zst"), o);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code(), Code::BadCompression);
}

}  // namespace
}  // namespace ratchet::streaming
