// Power cuts during a refresh: `ratchet fetch` is killed with SIGKILL at random moments while it
// moves the store from one trusted set to the next. Afterwards the store always opens and holds
// either the whole old set or the whole new one, never a mixture.
#include <random>
#include <thread>

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include "agent/store/lmdb_store.hpp"
#include "repo/tuf_repository.hpp"
#include "tests/support/data.hpp"
#include "tests/support/http_server.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

extern char** environ;

namespace ratchet::store {
namespace {

using tuf::Json;
using tuf::TufRepository;

struct Trusted {
  std::optional<std::string> director_targets, image_timestamp;
  bool operator==(const Trusted&) const = default;
};

Trusted read_trusted(const std::filesystem::path& dir) {
  auto db = LmdbStore::open(dir).value();
  return {db.get("trusted/director/targets").value(), db.get("trusted/image/timestamp").value()};
}

TEST(StorePowerCut, KilledRefreshLeavesTheOldOrTheNewSet) {
  test::TempDir dir;
  const auto now = static_cast<tuf::Seconds>(::time(nullptr));
  auto director =
      TufRepository::create(now, tuf::KeyType::Ed25519, false, tuf::Layout::TargetsOnly).value();
  auto image = TufRepository::create(now).value();
  image.add_target("fw.bin", "v1");
  director.add_target("fw.bin", "v1",
                      Json{{"ecuIdentifiers", Json{{"ecu-1", Json{{"hardwareId", "hw"}}}}}});
  const auto publish = [&] {
    ASSERT_TRUE(director.publish(dir / "director"));
    ASSERT_TRUE(image.publish(dir / "image"));
  };
  publish();
  test::HttpServer director_server(dir / "director");
  test::HttpServer image_server(dir / "image");
  std::vector<std::string> args = {RATCHET_BINARY,   "--log-level",
                                   "error",          "fetch",
                                   "--storage-dir",  (dir / "state").string(),
                                   "--director-url", director_server.url(""),
                                   "--image-url",    image_server.url(""),
                                   "--ecu-serial",   "ecu-1",
                                   "--hardware-id",  "hw",
                                   "--target-dir",   (dir / "out").string()};
  ASSERT_EQ(test::run_process(args).exit_code, 0);
  const Trusted old_set = read_trusted(dir / "state");
  std::filesystem::copy(dir / "state", dir / "state-old", std::filesystem::copy_options::recursive);

  // The next set: a new Director assignment and a new image.
  image.add_target("fw.bin", "v2");
  director.add_target("fw.bin", "v2",
                      Json{{"ecuIdentifiers", Json{{"ecu-1", Json{{"hardwareId", "hw"}}}}}});
  publish();
  const auto started = std::chrono::steady_clock::now();
  ASSERT_EQ(test::run_process(args).exit_code, 0);
  // Kill times spread over a whole run as this build (plain, or sanitized and slower) makes it.
  const auto run_us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - started)
                          .count();
  const auto window_us = static_cast<std::uint32_t>(std::max<std::int64_t>(run_us * 13 / 10, 1000));
  const Trusted new_set = read_trusted(dir / "state");
  ASSERT_NE(old_set, new_set);

  std::mt19937 rng(3);
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  int saw_old = 0, saw_new = 0;
  for (int run = 0; run < 120; ++run) {
    std::filesystem::remove_all(dir / "state");
    std::filesystem::copy(dir / "state-old", dir / "state",
                          std::filesystem::copy_options::recursive);
    pid_t pid = 0;
    ASSERT_EQ(::posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ), 0);
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % window_us));
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    const Trusted now_set = read_trusted(dir / "state");
    ASSERT_TRUE(now_set == old_set || now_set == new_set) << "run " << run << ": a mixed set";
    (now_set == old_set ? saw_old : saw_new)++;
    // The device can say what it trusts, offline...
    if (run % 10 == 0) {
      auto t = test::run_process(
          {RATCHET_BINARY, "targets", "--storage-dir", (dir / "state").string(), "--json"});
      ASSERT_EQ(t.exit_code, 0) << t.err;
      EXPECT_NE(t.out.find("\"name\":\"fw.bin\""), std::string::npos) << t.out;
    }
    // ...and carries on from there.
    if (run % 20 == 0) {
      ASSERT_EQ(test::run_process(args).exit_code, 0) << "run " << run;
    }
  }
  EXPECT_GT(saw_old, 0);
  EXPECT_GT(saw_new, 0);
}

}  // namespace
}  // namespace ratchet::store
