// `ratchet write` as a factory line or a script runs it: exit codes and the error line.
#include <gtest/gtest.h>

#include "common/hex.hpp"
#include "streaming/chunk_list.hpp"
#include "tests/support/data.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace ratchet {
namespace {

class WriteCommand : public ::testing::Test {
 protected:
  test::TempDir dir;
  test::Bytes image = test::image_like(3u << 20, 51);
  void SetUp() override { test::write_bytes(dir / "image", image); }
  test::ProcessResult write(std::vector<std::string> extra) {
    std::vector<std::string> argv = {RATCHET_BINARY, "write",
                                     "--payload",    (dir / "image").string(),
                                     "--target",     (dir / "slot").string(),
                                     "--length",     std::to_string(image.size())};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return test::run_process(argv);
  }
};

TEST_F(WriteCommand, WritesAVerifiedImage) {
  auto r = write({"--sha256", to_hex(test::sha256(image)), "--readback"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::read_bytes(dir / "slot"), image);
}

TEST_F(WriteCommand, WrongDigestIsASecurityFailure) {
  auto digest = test::sha256(image);
  digest[0] ^= std::byte{1};
  auto r = write({"--sha256", to_hex(digest)});
  EXPECT_EQ(r.exit_code, 30);
  EXPECT_NE(r.err.find("error: HashMismatch: "), std::string::npos) << r.err;
}

TEST_F(WriteCommand, ChunkListFromAFileAndJsonResult) {
  const auto list = streaming::ChunkList::of_bytes(image, 64 * 1024).value().serialize();
  test::write_bytes(dir / "chunks", test::as_bytes(list));
  auto r = write({"--chunks", (dir / "chunks").string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"result\":\"ok\""), std::string::npos) << r.out;
  EXPECT_EQ(test::read_bytes(dir / "slot"), image);
}

TEST_F(WriteCommand, UsageErrors) {
  EXPECT_EQ(write({"--sha256", "xyz"}).exit_code, 2);
  EXPECT_EQ(write({}).exit_code, 2);  // nothing to verify against
  auto r = write({"--sha256", to_hex(test::sha256(image)), "--format", "lz4"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("error: InvalidArgument: unknown payload format 'lz4'"), std::string::npos)
      << r.err;
}

TEST_F(WriteCommand, MissingPayloadIsALocalFailure) {
  std::filesystem::remove(dir / "image");
  auto r = write({"--sha256", to_hex(test::sha256(image))});
  EXPECT_EQ(r.exit_code, 40);
  EXPECT_NE(r.err.find("error: NotFound: "), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ratchet
