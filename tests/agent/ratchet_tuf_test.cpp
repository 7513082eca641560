// ratchet-tuf as an outside test suite drives it: the command contract, the requests it makes,
// exit codes, and time read through libc (faketime).
#include <gtest/gtest.h>

#include "common/hex.hpp"
#include "repo/tuf_repository.hpp"
#include "tests/support/data.hpp"
#include "tests/support/http_server.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

#ifndef RATCHET_TUF_BINARY
#error "the build system passes the path of ratchet-tuf"
#endif

namespace ratchet::tuf {
namespace {

class RatchetTuf : public ::testing::Test {
 protected:
  test::TempDir dir;
  std::optional<TufRepository> repo;
  std::unique_ptr<test::HttpServer> server;

  void SetUp() override {
    const Seconds now = static_cast<Seconds>(::time(nullptr));
    repo = TufRepository::create(now).value();
    repo->add_target("file.txt", "hello");
    repo->add_target("dir/nested.bin", "nested content");
    ASSERT_TRUE(repo->publish(dir / "repo"));
    test::write_bytes(dir / "root.json", test::as_bytes(repo->root_bytes(1)));
    server = std::make_unique<test::HttpServer>(dir / "repo");
  }

  test::ProcessResult run(std::vector<std::string> args, std::vector<std::string> prefix = {}) {
    std::vector<std::string> argv = prefix;
    argv.push_back(RATCHET_TUF_BINARY);
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run_process(argv);
  }
  test::ProcessResult init() {
    return run({"--metadata-dir", (dir / "md").string(), "init", (dir / "root.json").string()});
  }
  test::ProcessResult refresh() {
    return run(
        {"--metadata-url", server->url(""), "--metadata-dir", (dir / "md").string(), "refresh"});
  }
  test::ProcessResult download(const std::string& name, std::vector<std::string> prefix = {}) {
    return run({"--metadata-url", server->url(""), "--metadata-dir", (dir / "md").string(),
                "--target-name", name, "--target-dir", (dir / "td").string(), "--target-base-url",
                server->url("targets"), "download"},
               prefix);
  }
  std::vector<std::string> requested() {
    std::vector<std::string> out;
    for (const auto& r : server->requests())
      out.push_back(r.target);
    server->clear_requests();
    return out;
  }
};

TEST_F(RatchetTuf, InitRefreshDownload) {
  auto i = init();
  ASSERT_EQ(i.exit_code, 0) << i.err;
  EXPECT_TRUE(requested().empty());  // init makes no request
  auto r = refresh();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(requested(), (std::vector<std::string>{"/2.root.json", "/timestamp.json",
                                                   "/1.snapshot.json", "/1.targets.json"}));
  for (const char* f : {"root.json", "timestamp.json", "snapshot.json", "targets.json"})
    EXPECT_TRUE(std::filesystem::exists(dir / "md" / f)) << f;
  auto d = download("dir/nested.bin");
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_EQ(
      test::read_bytes(dir / "td" / "dir%2Fnested.bin"),
      test::read_bytes(dir / "repo/targets/dir" /
                       (to_hex(test::sha256(test::as_bytes("nested content"))) + ".nested.bin")));
  const auto reqs = requested();
  ASSERT_EQ(reqs.size(), 3U);
  EXPECT_TRUE(reqs[2].starts_with("/targets/dir/")) << reqs[2];
  // A verified copy is already there: no second target request.
  ASSERT_EQ(download("dir/nested.bin").exit_code, 0);
  EXPECT_EQ(requested(), (std::vector<std::string>{"/2.root.json", "/timestamp.json"}));
}

TEST_F(RatchetTuf, FailuresExitOneWithTheErrorCode) {
  test::write_bytes(dir / "bad-root.json", test::as_bytes("{\"signed\": 1}"));
  auto i =
      run({"--metadata-dir", (dir / "md2").string(), "init", (dir / "bad-root.json").string()});
  EXPECT_EQ(i.exit_code, 1);
  EXPECT_NE(i.err.find("error: BadMetadata: "), std::string::npos) << i.err;
  ASSERT_EQ(init().exit_code, 0);
  auto missing = download("nope.txt");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("error: TargetNotFound: "), std::string::npos) << missing.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "td" / "nope.txt"));
}

TEST_F(RatchetTuf, SubstitutedTargetIsNotStored) {
  ASSERT_EQ(init().exit_code, 0);
  const auto path =
      dir / "repo/targets" / (to_hex(test::sha256(test::as_bytes("hello"))) + ".file.txt");
  test::write_bytes(path, test::as_bytes("jello"));
  auto d = download("file.txt");
  EXPECT_EQ(d.exit_code, 1);
  EXPECT_NE(d.err.find("error: HashMismatch: "), std::string::npos) << d.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "td" / "file.txt"));
}

TEST_F(RatchetTuf, TimeComesFromLibcSoFaketimeWorks) {
  ASSERT_EQ(init().exit_code, 0);
  auto d = download("file.txt", {"faketime", "2060-01-01 00:00:00"});
  EXPECT_EQ(d.exit_code, 1);
  EXPECT_NE(d.err.find("error: ExpiredMetadata: "), std::string::npos) << d.err;
  EXPECT_EQ(download("file.txt").exit_code, 0);
}

}  // namespace
}  // namespace ratchet::tuf
