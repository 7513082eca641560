// Unpacking a .tar bundle: GNU tar's ustar output unpacks; an entry that would leave the
// directory, a link, or more bytes than allowed is refused.
#include "agent/update/tar_bundle.hpp"

#include <fstream>

#include <gtest/gtest.h>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace ratchet::update {
namespace {

class TarBundle : public ::testing::Test {
 protected:
  test::TempDir dir;
  void SetUp() override {
    std::filesystem::create_directories(dir / "src/image/targets");
    std::ofstream(dir / "src/image/1.root.json") << "{}";
    std::ofstream(dir / "src/image/targets/fw.bin") << std::string(5000, 'x');
  }
  int tar(std::vector<std::string> args) {
    args.insert(args.begin(), {"tar", "--format=ustar"});
    return test::run_process(args).exit_code;
  }
};

TEST_F(TarBundle, UnpacksWhatTarPacked) {
  ASSERT_EQ(tar({"-cf", (dir / "b.tar").string(), "-C", (dir / "src").string(), "image"}), 0);
  ASSERT_TRUE(unpack_tar(dir / "b.tar", dir / "out", 1u << 20));
  std::ifstream in(dir / "out/image/targets/fw.bin");
  std::string content((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(content, std::string(5000, 'x'));
}

TEST_F(TarBundle, EntryLeavingTheDirectoryIsRefused) {
  ASSERT_EQ(tar({"-cf", (dir / "b.tar").string(), "-C", (dir / "src").string(), "--transform",
                 "s,^,../,", "image/1.root.json"}),
            0);
  auto r = unpack_tar(dir / "b.tar", dir / "out", 1u << 20);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::BadMetadata);
  EXPECT_FALSE(std::filesystem::exists(dir / "1.root.json"));
}

TEST_F(TarBundle, LinksAndOversizeAreRefused) {
  std::filesystem::create_symlink("/etc/passwd", dir / "src/link");
  ASSERT_EQ(tar({"-cf", (dir / "l.tar").string(), "-C", (dir / "src").string(), "link"}), 0);
  EXPECT_EQ(unpack_tar(dir / "l.tar", dir / "out", 1u << 20).error().code(), Code::BadMetadata);
  ASSERT_EQ(tar({"-cf", (dir / "b.tar").string(), "-C", (dir / "src").string(), "image"}), 0);
  EXPECT_EQ(unpack_tar(dir / "b.tar", dir / "out2", 1000).error().code(), Code::TooLarge);
}

TEST_F(TarBundle, NotATarIsRefused) {
  std::ofstream(dir / "x.tar") << std::string(1024, 'z');
  EXPECT_EQ(unpack_tar(dir / "x.tar", dir / "out", 1u << 20).error().code(), Code::BadMetadata);
}

}  // namespace
}  // namespace ratchet::update
