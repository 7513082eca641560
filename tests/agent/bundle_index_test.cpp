// Reading a bundle archive in place: the tar formats people make (ustar, pax, GNU; raw, zstd,
// gzip) index the same; an image streams from its offset or, compressed, from the archive; and
// every entry a bundle never holds is a BadBundle naming it, before anything is read from it.
#include "agent/bundle/bundle_index.hpp"

#include <fstream>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "agent/bundle/bundle_sources.hpp"
#include "streaming/memory_sink.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace ratchet::bundle {
namespace {

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i)
    s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return s;
}

class BundleIndexTest : public ::testing::Test {
 protected:
  test::TempDir dir;
  const std::string image = pattern(300'000);
  const std::string long_name = "image/targets/" + std::string(120, 'n') + ".img";

  void SetUp() override {
    std::filesystem::create_directories(dir / "src/director");
    std::filesystem::create_directories(dir / "src/image/targets");
    std::ofstream(dir / "src/director/root.json") << R"({"director":1})";
    std::ofstream(dir / "src/image/1.root.json") << R"({"image":1})";
    std::ofstream(dir / "src/image/targets/os.img") << image;
    std::ofstream(dir / "src" / long_name) << image.substr(1000);
  }
  // tar run in src/ over `what` (default: the whole bundle as "./...").
  void tar(const std::filesystem::path& out, std::vector<std::string> flags,
           std::vector<std::string> what = {"."}) {
    std::vector<std::string> args{"tar", "-C", (dir / "src").string(), "-cf", out.string()};
    args.insert(args.begin() + 1, flags.begin(), flags.end());
    args.insert(args.end(), what.begin(), what.end());
    const auto r = test::run_process(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static std::string read(const BundleIndex& index, const std::string& name,
                          std::uint64_t offset = 0) {
    ArchiveEntrySource source(std::make_shared<BundleIndex>(index), name);
    streaming::MemorySink sink(1u << 24);
    const auto s = source.read_into(offset, sink);
    EXPECT_TRUE(s) << s.error().message();
    return sink.data();
  }
  void expect_refused(const std::filesystem::path& archive, const std::string& says) {
    const auto r = index_bundle(archive, {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), Code::BadBundle) << r.error().message();
    EXPECT_NE(r.error().message().find(says), std::string::npos) << r.error().message();
  }
};

struct Format {
  const char* name;
  std::vector<std::string> flags;
  const char* compression;
};

TEST_F(BundleIndexTest, EveryTarFormatIndexesTheSameBundle) {
  const std::vector<Format> formats{
      {"gnu.tar", {}, "none"},  // GNU tar's default format (GNU long names)
      {"pax.tar", {"--format=pax"}, "none"},
      {"posix.tar", {"--format=posix"}, "none"},
      {"b.tar.zst", {"--zstd"}, "zstd"},
      {"b.tar.gz", {"--gzip"}, "gzip"},
      {"b.tar.xz", {"--xz"}, "xz"},
  };
  for (const auto& f : formats) {
    SCOPED_TRACE(f.name);
    tar(dir / f.name, f.flags);
    const auto index = index_bundle(dir / f.name, {});
    ASSERT_TRUE(index) << index.error().message();
    EXPECT_EQ(index->compression, f.compression);
    ASSERT_NE(index->find("director/root.json"), nullptr);
    EXPECT_EQ(index->find("director/root.json")->bytes, R"({"director":1})");
    const BundleEntry* os = index->find("image/targets/os.img");
    ASSERT_NE(os, nullptr);
    EXPECT_EQ(os->size, image.size());
    EXPECT_FALSE(os->bytes) << "images stay in the archive";
    EXPECT_EQ(os->data_offset.has_value(), std::string(f.compression) == "none");
    EXPECT_EQ(read(*index, "image/targets/os.img"), image);
    EXPECT_EQ(read(*index, long_name), image.substr(1000));
    // A resumed install reads from where it stopped.
    EXPECT_EQ(read(*index, "image/targets/os.img", 123'457), image.substr(123'457));
  }
}

TEST_F(BundleIndexTest, TheArchiveFetcherServesEachRepository) {
  tar(dir / "b.tar.zst", {"--zstd"});
  auto bundle = open_bundle(dir / "b.tar.zst", {});
  ASSERT_TRUE(bundle) << bundle.error().message();
  EXPECT_EQ(*bundle->director->fetch("root.json", 100), R"({"director":1})");
  EXPECT_EQ(*bundle->image->fetch("1.root.json", 100), R"({"image":1})");
  EXPECT_EQ(bundle->image->fetch("2.root.json", 100).error().code(), Code::NotFound);
  EXPECT_EQ(bundle->director->fetch("root.json", 5).error().code(), Code::TooLarge);
  EXPECT_EQ(*bundle->targets->fetch("os.img", 1u << 20), image);
  streaming::MemorySink sink(1u << 20);
  ASSERT_TRUE(bundle->target("os.img")->read_into(0, sink));
  EXPECT_EQ(sink.data(), image);
}

TEST_F(BundleIndexTest, AnEntryLeavingTheBundleIsRefused) {
  tar(dir / "up.tar", {"--transform", "s,^\\./director,../director,"});
  expect_refused(dir / "up.tar", "'../director/' leaves the bundle");
  tar(dir / "abs.tar", {"-P", "--transform", "s,^\\./,/,"});
  expect_refused(dir / "abs.tar", "is an absolute path");
}

TEST_F(BundleIndexTest, LinksDevicesFifosAndSparseFilesAreRefused) {
  std::filesystem::create_symlink("/etc/passwd", dir / "src/image/targets/sym");
  tar(dir / "sym.tar", {}, {"director", "image/targets/sym"});
  expect_refused(dir / "sym.tar", "'image/targets/sym' is a symbolic link");
  std::filesystem::remove(dir / "src/image/targets/sym");

  std::filesystem::create_hard_link(dir / "src/image/targets/os.img", dir / "src/image/targets/hl");
  tar(dir / "hard.tar", {}, {"director", "image/targets/os.img", "image/targets/hl"});
  expect_refused(dir / "hard.tar", "'image/targets/hl' is a link");
  std::filesystem::remove(dir / "src/image/targets/hl");

  ASSERT_EQ(::mkfifo((dir / "src/image/fifo").c_str(), 0600), 0);
  tar(dir / "fifo.tar", {}, {"director", "image/fifo"});
  expect_refused(dir / "fifo.tar", "'image/fifo' is a FIFO");
  std::filesystem::remove(dir / "src/image/fifo");

  if (::geteuid() == 0) {
    ASSERT_EQ(::mknod((dir / "src/image/null").c_str(), S_IFCHR | 0600, makedev(1, 3)), 0);
    tar(dir / "dev.tar", {}, {"director", "image/null"});
    expect_refused(dir / "dev.tar", "'image/null' is a character device");
    std::filesystem::remove(dir / "src/image/null");
  }

  std::ofstream(dir / "src/image/targets/sparse").put('x');
  std::filesystem::resize_file(dir / "src/image/targets/sparse", 8 << 20);
  tar(dir / "sparse.tar", {"--sparse", "--format=pax"}, {"director", "image/targets/sparse"});
  expect_refused(dir / "sparse.tar", "'image/targets/sparse' is a sparse file");
}

TEST_F(BundleIndexTest, AnEntryThatAppearsTwiceIsRefused) {
  tar(dir / "twice.tar", {}, {"director", "image"});
  const auto r = test::run_process({"tar", "-C", (dir / "src").string(), "-rf",
                                    (dir / "twice.tar").string(), "image/targets/os.img"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_refused(dir / "twice.tar", "'image/targets/os.img' appears twice");
}

TEST_F(BundleIndexTest, SizesBeyondTheBoundsAreRefused) {
  tar(dir / "b.tar", {});
  auto r = index_bundle(dir / "b.tar", {.max_entry_bytes = 1000});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::BadBundle);
  EXPECT_NE(r.error().message().find("more than the bound of 1000"), std::string::npos);
  r = index_bundle(dir / "b.tar", {.max_metadata_bytes = 20});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("metadata beyond the bound of 20 bytes"), std::string::npos);
  r = index_bundle(dir / "b.tar", {.max_entries = 3});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("more than 3 entries"), std::string::npos);
}

TEST_F(BundleIndexTest, WhatIsNotABundleArchiveIsABadBundle) {
  std::ofstream(dir / "zeros.tar") << std::string(1024, 'z');
  expect_refused(dir / "zeros.tar", "zeros.tar");
  tar(dir / "b.tar", {});
  std::filesystem::resize_file(dir / "b.tar", 200'000);  // cut inside os.img
  const auto cut = index_bundle(dir / "b.tar", {});
  if (cut) {  // the cut entry's header is intact: the read of its bytes fails
    streaming::MemorySink sink(1u << 20);
    const auto s =
        ArchiveEntrySource(std::make_shared<BundleIndex>(*cut), long_name).read_into(0, sink);
    EXPECT_FALSE(s);
  } else {
    EXPECT_EQ(cut.error().code(), Code::BadBundle);
  }
  tar(dir / "half.tar", {}, {"image"});
  expect_refused(dir / "half.tar", "not a bundle (no director/ and image/ at its top)");
  expect_refused(dir / "missing.tar", "missing.tar");
}

}  // namespace
}  // namespace ratchet::bundle
