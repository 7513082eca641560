#include "common/file.hpp"

#include <fstream>
#include <future>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/support/temp_dir.hpp"
#include "tests/support/tmpfs.hpp"

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

// A directory where a file should be is a problem of this device's files (Io, exit 40), never a
// usage error: a key or counter file replaced by a directory must not read as a bad command line.
TEST(File, DirectoryIsNotARegularFileAndAnIoErrorNamingIt) {
  test::TempDir dir;
  const auto r = read_file(dir.path(), 10);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::Io);
  EXPECT_NE(r.error().message().find(dir.path().string()), std::string::npos);
}

// Only ENOENT is "missing"; a path that cannot be looked at is Io naming it (std::filesystem's
// exists() says false for ENOTDIR and for EACCES).
TEST(File, PathExistsOnlyTakesEnoentForMissing) {
  test::TempDir dir;
  std::ofstream(dir / "file") << "x";
  EXPECT_TRUE(path_exists(dir / "file").value());
  EXPECT_FALSE(path_exists(dir / "absent").value());
  const auto r = path_exists(dir / "file" / "below");  // ENOTDIR
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::Io);
  EXPECT_NE(r.error().message().find((dir / "file" / "below").string()), std::string::npos);
}

// A write that fails on a full disk leaves no temporary file behind to keep the space.
TEST(File, WriteAtomicOnAFullDiskLeavesNoTemporaryFile) {
  test::TempDir dir;
  test::Tmpfs small(dir / "small", 1u << 20);
  if (!small.mounted()) GTEST_SKIP() << small.error();
  ASSERT_TRUE(write_file_atomic(small / "counter", std::string_view("1\n")));
  small.fill("filler", 0);
  const auto r = write_file_atomic(small / "counter", std::string(256u << 10, 'x'));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::OutOfSpace);
  EXPECT_NE(r.error().message().find((small / "counter.tmp").string()), std::string::npos)
      << r.error().message();
  EXPECT_FALSE(std::filesystem::exists(small / "counter.tmp"));
  EXPECT_EQ(read_file(small / "counter", 10).value(), "1\n");
}

// A FIFO's open(2) waits for a writer: an input file must be refused without waiting. Were it to
// wait, the guard below opens the writer end so that the test fails instead of hanging.
TEST(File, ReadRefusesFifosDevicesAndSymlinksWithoutBlocking) {
  test::TempDir dir;
  const auto fifo = dir / "metadata.json";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  auto reading = std::async(std::launch::async, [&] { return read_file(fifo, 100); });
  if (reading.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    const int unblock = ::open(fifo.c_str(), O_WRONLY | O_CLOEXEC);
    ADD_FAILURE() << "read_file blocked on a FIFO";
    (void)reading.wait();
    ::close(unblock);
  }
  auto r = reading.get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::InvalidArgument);
  EXPECT_EQ(r.error().message(), fifo.string() + ": a FIFO, not a regular file");

  std::ofstream(dir / "real") << "x";
  std::filesystem::create_symlink(dir / "real", dir / "link");
  r = read_file(dir / "link", 100);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::InvalidArgument);
  EXPECT_EQ(r.error().message(), (dir / "link").string() + ": a symbolic link, not a regular file");
  auto fd = open_regular_file(dir / "real");
  ASSERT_TRUE(fd);
  EXPECT_EQ(::fcntl(fd->get(), F_GETFL) & O_NONBLOCK, 0);  // cleared for the reader

  // /dev/null is a character device: refused before it is opened.
  r = read_file("/dev/null", 100);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "/dev/null: a character device, not a regular file");
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
