#include "common/file.hpp"

#include <fstream>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/support/temp_dir.hpp"

namespace ratchet {
namespace {

TEST(File, WriteAtomicThenReadBack) {
  test::TempDir dir;
  const auto p = dir / "state";
  ASSERT_TRUE(write_file_atomic(p, std::string_view("hello"), 0600));
  EXPECT_EQ(read_file(p, 100).value(), "hello");
  ASSERT_TRUE(write_file_atomic(p, std::string_view("replaced")));
  EXPECT_EQ(read_file(p, 100).value(), "replaced");
  EXPECT_FALSE(std::filesystem::exists(dir / "state.tmp"));
}

TEST(File, WriteAtomicSetsMode) {
  test::TempDir dir;
  const auto p = dir / "key";
  ASSERT_TRUE(write_file_atomic(p, std::string_view("secret"), 0600));
  struct stat st {};
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
}

TEST(File, ReadIsBounded) {
  test::TempDir dir;
  const auto p = dir / "big";
  std::ofstream(p) << std::string(101, 'x');
  auto r = read_file(p, 100);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::TooLarge);
  EXPECT_NE(r.error().message().find(p.string()), std::string::npos);
  EXPECT_EQ(read_file(p, 101).value().size(), 101U);
}

TEST(File, MissingFileIsNotFoundNamingThePath) {
  test::TempDir dir;
  auto r = read_file(dir / "absent", 10);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::NotFound);
  EXPECT_NE(r.error().message().find("absent"), std::string::npos);
}

TEST(File, DirectoryIsNotARegularFile) {
  test::TempDir dir;
  EXPECT_EQ(read_file(dir.path(), 10).error().code(), Code::InvalidArgument);
}

TEST(File, WriteIntoMissingDirectoryFails) {
  test::TempDir dir;
  auto r = write_file_atomic(dir / "no" / "such" / "file", std::string_view("x"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::NotFound);
}

TEST(File, ErrnoMapping) {
  EXPECT_EQ(errno_error(ENOSPC, "slot").code(), Code::OutOfSpace);
  EXPECT_EQ(errno_error(EIO, "slot").code(), Code::Io);
  EXPECT_EQ(errno_error(EIO, "slot").message(), "slot: Input/output error");
}

}  // namespace
}  // namespace ratchet
