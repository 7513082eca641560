// `ratchet write --checkpoint` from an HTTP server, killed with SIGKILL at random moments, then
// run again: every restart asks the server for a range (not the whole file) and the slot ends up
// holding exactly the image.
#include <random>
#include <thread>

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include "streaming/chunk_list.hpp"
#include "tests/support/data.hpp"
#include "tests/support/http_server.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

extern char** environ;

namespace ratchet {
namespace {

TEST(WriteResume, SigkillAtRandomMomentsThenRerunAsksForRanges) {
  test::TempDir dir;
  const auto image = test::image_like(24u << 20, 71);
  std::filesystem::create_directories(dir / "www");
  test::write_bytes(dir / "www" / "image", image);
  test::write_bytes(
      dir / "chunks",
      test::as_bytes(streaming::ChunkList::of_bytes(image, 256 * 1024).value().serialize()));
  test::HttpServer server(dir / "www");
  // Slow enough that a run lasts about two seconds, so the kills land mid-install.
  server.set_fault({.fault = test::HttpFault::Slow, .bytes_per_second = 12u << 20});
  std::vector<std::string> args = {RATCHET_BINARY,
                                   "--log-level",
                                   "warning",
                                   "write",
                                   "--payload",
                                   server.url("image"),
                                   "--target",
                                   (dir / "slot").string(),
                                   "--length",
                                   std::to_string(image.size()),
                                   "--chunks",
                                   (dir / "chunks").string(),
                                   "--checkpoint",
                                   (dir / "ckpt").string(),
                                   "--checkpoint-interval",
                                   "1",
                                   "--json"};
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  std::mt19937 rng(7);
  for (int i = 0; i < 5; ++i) {
    pid_t pid = 0;
    ASSERT_EQ(::posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ), 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + rng() % 250));
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFSIGNALED(status)) << "run " << i << " finished before it was killed";
  }
  server.set_fault({});
  auto r = test::run_process(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"resumed\":true"), std::string::npos) << r.out;
  const auto slot = test::read_bytes(dir / "slot");
  ASSERT_GE(slot.size(), image.size());
  EXPECT_EQ(std::memcmp(slot.data(), image.data(), image.size()), 0);
  EXPECT_FALSE(std::filesystem::exists(dir / "ckpt"));
  // The first request starts at 0; every restart after progress was saved asks for a range.
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 6U);
  EXPECT_EQ(requests.front().range, "");
  EXPECT_TRUE(requests.back().range.starts_with("bytes=")) << requests.back().range;
  int ranged = 0;
  for (const auto& req : requests)
    ranged += req.range.empty() ? 0 : 1;
  EXPECT_GE(ranged, 4);
}

}  // namespace
}  // namespace ratchet
