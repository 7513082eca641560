#include "streaming/install.hpp"

#include <random>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "streaming/checkpoint.hpp"
#include "streaming/file_source.hpp"
#include "streaming/mapped_file.hpp"
#include "streaming/zstd_encoder.hpp"
#include "tests/support/data.hpp"
#include "tests/support/temp_dir.hpp"

namespace ratchet::streaming {
namespace {

// A source that ends the process (a power cut) after `limit` bytes.
class DyingSource final : public Source {
 public:
  DyingSource(Source& inner, std::uint64_t limit) : inner_(inner), limit_(limit) {}
  Status read_into(std::uint64_t offset, Sink& sink) override {
    class Tripwire final : public Sink {
     public:
      Tripwire(Sink& next, std::uint64_t left) : next_(next), left_(left) {}
      Status write(std::span<const std::byte> d) override {
        if (d.size() >= left_) {
          (void)next_.write(d.first(left_));
          ::_exit(137);
        }
        left_ -= d.size();
        return next_.write(d);
      }
      Status finish() override { return next_.finish(); }

     private:
      Sink& next_;
      std::uint64_t left_;
    } tripwire(sink, limit_);
    return inner_.read_into(offset, tripwire);
  }
  std::string describe() const override { return "dying " + inner_.describe(); }

 private:
  Source& inner_;
  std::uint64_t limit_;
};

class Install : public ::testing::TestWithParam<PayloadFormat> {
 protected:
  test::TempDir dir;
  test::Bytes old_image = test::image_like(6u << 20, 21);
  test::Bytes new_image = test::edited(old_image, 22, (1u << 20) + 12345);
  ChunkList chunks;

  void SetUp() override {
    test::write_bytes(dir / "old", old_image);
    test::write_bytes(dir / "new", new_image);
    test::write_bytes(dir / "slot", old_image);  // the inactive slot holds an older image
    chunks = ChunkList::of_bytes(new_image, 64 * 1024).value();
    ZstdEncodeOptions eo;
    eo.frame_size = 512 * 1024;
    if (GetParam() == PayloadFormat::Zstd) {
      ASSERT_TRUE(zstd_encode_file(dir / "new", dir / "payload", eo));
    }
    if (GetParam() == PayloadFormat::Delta) {
      auto ref = MappedFile::open(dir / "old").value();
      eo.reference = ref.bytes();
      ASSERT_TRUE(zstd_encode_file(dir / "new", dir / "payload", eo));
    }
    if (GetParam() == PayloadFormat::Raw) test::write_bytes(dir / "payload", new_image);
  }

  InstallRequest request(bool with_chunks) {
    InstallRequest r;
    r.name = "rootfs";
    r.format = GetParam();
    const auto payload = test::read_bytes(dir / "payload");
    r.payload_length = payload.size();
    r.payload_digests.sha256 = test::sha256(payload);
    r.image_length = new_image.size();
    r.image_digests.sha256 = test::sha256(new_image);
    if (with_chunks) r.chunks = &chunks;
    if (GetParam() == PayloadFormat::Delta) {
      r.reference = dir / "old";
      r.reference_digests.sha256 = test::sha256(old_image);
    }
    r.target = dir / "slot";
    r.writer.head_size = 64 * 1024;
    r.writer.create = true;
    r.checkpoint = dir / "install.ckpt";
    r.checkpoint_interval = 1u << 20;
    return r;
  }

  bool slot_holds_new_image() {
    auto slot = test::read_bytes(dir / "slot");
    return slot.size() >= new_image.size() &&
           std::memcmp(slot.data(), new_image.data(), new_image.size()) == 0;
  }
};

TEST_P(Install, WritesExactlyTheImage) {
  for (bool with_chunks : {false, true}) {
    test::write_bytes(dir / "slot", old_image);
    FileSource source(dir / "payload");
    auto r = request(with_chunks);
    r.readback = true;
    auto report = install(source, r);
    ASSERT_TRUE(report) << report.error().to_string();
    EXPECT_TRUE(slot_holds_new_image());
    EXPECT_FALSE(report->resumed);
    EXPECT_FALSE(std::filesystem::exists(dir / "install.ckpt"));
  }
}

TEST_P(Install, CorruptPayloadNeverPutsAnUnverifiedChunkInTheSlot) {
  auto payload = test::read_bytes(dir / "payload");
  payload[payload.size() * 2 / 3] ^= std::byte{0x40};
  test::write_bytes(dir / "payload.bad", payload);
  FileSource source(dir / "payload.bad");
  auto r = request(true);
  auto result = install(source, r);
  ASSERT_FALSE(result);
  EXPECT_EQ(code_kind(result.error().code()), ErrorKind::Security) << result.error().to_string();
  // Every chunk of the slot is the old content, zeros (the invalidated head) or verified new data.
  const auto slot = test::read_bytes(dir / "slot");
  for (std::size_t i = 0; i < chunks.count(); ++i) {
    const std::size_t off = i * chunks.chunk_size();
    const std::size_t len = chunks.chunk_length(i);
    if (off + len > slot.size()) continue;
    const auto piece = std::span(slot).subspan(off, len);
    const bool is_new = std::memcmp(piece.data(), new_image.data() + off, len) == 0;
    const bool is_old = off + len <= old_image.size() &&
                        std::memcmp(piece.data(), old_image.data() + off, len) == 0;
    const bool is_zero =
        std::all_of(piece.begin(), piece.end(), [](auto b) { return b == std::byte{0}; });
    EXPECT_TRUE(is_new || is_old || is_zero) << "chunk " << i << " holds unverified bytes";
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "install.ckpt"));  // no resuming a bad payload
}

TEST_P(Install, ResumesAfterPowerCutsAtRandomPoints) {
  const auto payload_size = std::filesystem::file_size(dir / "payload");
  std::mt19937_64 rng(GetParam() == PayloadFormat::Raw ? 1 : 2);
  int resumed = 0;
  for (int run = 0; run < 12; ++run) {
    test::write_bytes(dir / "slot", old_image);
    remove_checkpoint(dir / "install.ckpt");
    // One to three power cuts at random payload offsets, then an uninterrupted run.
    const int cuts = 1 + static_cast<int>(rng() % 3);
    for (int c = 0; c < cuts; ++c) {
      const std::uint64_t cut_at = rng() % payload_size;
      const pid_t pid = ::fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        FileSource inner(dir / "payload");
        DyingSource dying(inner, cut_at);
        (void)install(dying, request(true));
        ::_exit(0);  // the cut came after the end: finished
      }
      int status = 0;
      ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    }
    FileSource source(dir / "payload");
    auto report = install(source, request(true));
    ASSERT_TRUE(report) << "run " << run << ": " << report.error().to_string();
    resumed += report->resumed ? 1 : 0;
    ASSERT_TRUE(slot_holds_new_image()) << "run " << run;
    if (report->resumed) {
      EXPECT_LT(report->payload_bytes_read, payload_size);
    }
  }
  EXPECT_GT(resumed, 0);
}

TEST_P(Install, StaleCheckpointOfAnotherImageIsIgnored) {
  Checkpoint c{"not-this-install", 1u << 20, 1u << 20, "", ""};
  ASSERT_TRUE(c.save(dir / "install.ckpt"));
  FileSource source(dir / "payload");
  auto report = install(source, request(true));
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_FALSE(report->resumed);
  EXPECT_TRUE(slot_holds_new_image());
}

INSTANTIATE_TEST_SUITE_P(Formats, Install,
                         ::testing::Values(PayloadFormat::Raw, PayloadFormat::Zstd,
                                           PayloadFormat::Delta),
                         [](const auto& info) { return std::string(format_name(info.param)); });

TEST(InstallDelta, WrongReferenceIsRefusedBeforeTheSlotIsTouched) {
  test::TempDir dir;
  const auto old_image = test::image_like(2u << 20, 31);
  const auto new_image = test::edited(old_image, 32);
  test::write_bytes(dir / "old", old_image);
  test::write_bytes(dir / "new", new_image);
  auto ref = MappedFile::open(dir / "old").value();
  ZstdEncodeOptions eo;
  eo.reference = ref.bytes();
  ASSERT_TRUE(zstd_encode_file(dir / "new", dir / "payload", eo));
  auto other = old_image;
  other[100] ^= std::byte{1};
  test::write_bytes(dir / "active", other);
  const auto slot_before = test::random_bytes(3u << 20, 33);
  test::write_bytes(dir / "slot", slot_before);

  InstallRequest r;
  r.format = PayloadFormat::Delta;
  r.image_length = new_image.size();
  r.image_digests.sha256 = test::sha256(new_image);
  r.reference = dir / "active";
  r.reference_digests.sha256 = test::sha256(old_image);
  r.target = dir / "slot";
  r.writer.create = true;
  FileSource source(dir / "payload");
  auto result = install(source, r);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), Code::BadReference);
  EXPECT_NE(result.error().message().find("does not hold the image the delta was made against"),
            std::string::npos);
  EXPECT_EQ(test::read_bytes(dir / "slot"), slot_before);  // byte-for-byte untouched
}

TEST(InstallRequestCheck, NothingToVerifyAgainstIsRefused) {
  test::TempDir dir;
  InstallRequest r;
  r.image_length = 10;
  r.target = dir / "slot";
  r.writer.create = true;
  FileSource source(dir / "none");
  EXPECT_EQ(install(source, r).error().code(), Code::InvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(dir / "slot"));
}

}  // namespace
}  // namespace ratchet::streaming
