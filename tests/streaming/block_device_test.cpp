// Installs into real block devices (loop devices over files). Needs root; skips cleanly otherwise.
#include <gtest/gtest.h>
#include <unistd.h>

#include "streaming/file_source.hpp"
#include "streaming/install.hpp"
#include "streaming/slot_writer.hpp"
#include "streaming/zstd_encoder.hpp"
#include "tests/support/data.hpp"
#include "tests/support/loop_device.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace ratchet::streaming {
namespace {

class BlockDevice : public ::testing::TestWithParam<bool> {
 protected:
  test::TempDir dir;
  std::unique_ptr<test::LoopDevice> loop;
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "loop devices need root";
    test::write_bytes(dir / "backing", test::random_bytes(8u << 20, 61));
    loop = std::make_unique<test::LoopDevice>(dir / "backing");
    if (loop->device().empty()) GTEST_SKIP() << "no loop device: " << loop->error();
  }
};

TEST_P(BlockDevice, InstallsVerifiedImageIntoTheDevice) {
  const auto image = test::image_like(6u << 20, 62);
  test::write_bytes(dir / "image", image);
  ZstdEncodeOptions eo;
  eo.frame_size = 1u << 20;
  ASSERT_TRUE(zstd_encode_file(dir / "image", dir / "image.zst", eo));
  const auto chunks = ChunkList::of_bytes(image, 256 * 1024).value();
  for (auto format : {PayloadFormat::Raw, PayloadFormat::Zstd}) {
    InstallRequest r;
    r.format = format;
    r.image_length = image.size();
    r.image_digests.sha256 = test::sha256(image);
    r.chunks = &chunks;
    r.target = loop->device();
    r.writer.mode = GetParam() ? WriteMode::Direct : WriteMode::Buffered;
    r.readback = true;
    FileSource source(format == PayloadFormat::Raw ? dir / "image" : dir / "image.zst");
    auto report = install(source, r);
    ASSERT_TRUE(report) << format_name(format) << ": " << report.error().to_string();
    auto dev = test::read_bytes(loop->device());
    ASSERT_EQ(dev.size(), 8u << 20);
    EXPECT_EQ(std::memcmp(dev.data(), image.data(), image.size()), 0) << format_name(format);
  }
}

TEST_P(BlockDevice, ImageLargerThanTheDeviceIsRefusedAndTheDeviceUntouched) {
  const auto before = test::read_bytes(loop->device());
  const auto image = test::random_bytes(9u << 20, 63);
  test::write_bytes(dir / "image", image);
  InstallRequest r;
  r.image_length = image.size();
  r.image_digests.sha256 = test::sha256(image);
  r.target = loop->device();
  r.writer.mode = GetParam() ? WriteMode::Direct : WriteMode::Buffered;
  FileSource source(dir / "image");
  auto result = install(source, r);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), Code::OutOfSpace) << result.error().to_string();
  EXPECT_EQ(test::read_bytes(loop->device()), before);
}

TEST_P(BlockDevice, AutoModeWritesBlockDevicesWithODirect) {
  auto w = SlotWriter::open(loop->device(), 4096, {});
  ASSERT_TRUE(w) << w.error().to_string();
  EXPECT_TRUE((*w)->direct());
}

INSTANTIATE_TEST_SUITE_P(BufferedAndDirect, BlockDevice, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Direct" : "Buffered"; });

}  // namespace
}  // namespace ratchet::streaming
