// The TUF client fixture: a TufRepository published into a directory, served by the project's
// Beast server, and a directory store of trusted metadata (shared by the TUF and Uptane-rule
// tests).
#pragma once

#include <map>
#include <set>

#include <gtest/gtest.h>

#include "agent/tuf/directory_store.hpp"
#include "agent/tuf/updater.hpp"
#include "repo/tuf_repository.hpp"
#include "tests/support/data.hpp"
#include "tests/support/http_server.hpp"
#include "tests/support/temp_dir.hpp"

namespace ratchet::tuf {

inline constexpr Seconds kNow = 1893456000;  // 2030-01-01

inline std::map<std::string, std::string> snapshot_of(const std::filesystem::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const auto b = test::read_bytes(e.path());
    files[e.path().filename().string()] =
        std::string(reinterpret_cast<const char*>(b.data()), b.size());
  }
  return files;
}

class TufClient : public ::testing::Test {
 protected:
  test::TempDir dir;
  std::optional<TufRepository> repo;
  std::unique_ptr<test::HttpServer> server;
  Seconds now = kNow;
  bool uptane = false;  // the Uptane Standard's rules (UpdaterOptions::uptane) instead of TUF's

  void SetUp() override {
    repo = TufRepository::create(kNow).value();
    repo->add_target("file.txt", "hello");
    ASSERT_TRUE(repo->publish(dir / "repo"));
    std::filesystem::create_directories(dir / "md");
    test::write_bytes(dir / "md" / "root.json", test::as_bytes(repo->root_bytes(1)));
    server = std::make_unique<test::HttpServer>(dir / "repo");
  }

  [[nodiscard]] UpdaterOptions options() const {
    UpdaterOptions o;
    o.repository = "image repository";
    o.now = [t = now] { return t; };
    o.uptane = uptane;
    return o;
  }

  Status refresh(std::vector<std::string>* requested = nullptr) {
    DirectoryStore store(dir / "md");
    streaming::HttpOptions h;
    h.retries = 0;
    HttpFetcher fetcher(server->url(""), h);
    Updater u(store, fetcher, options());
    auto s = u.refresh();
    if (requested) *requested = fetcher.requested();
    return s;
  }

  // Refreshes once successfully, then returns a copy of the trusted metadata directory.
  std::map<std::string, std::string> trusted_after_first_refresh() {
    EXPECT_TRUE(refresh());
    return snapshot_of(dir / "md");
  }

  // The refresh fails with `code`; the trusted files are unchanged, but for `may_change`: a
  // directory store (ratchet-tuf, like python-tuf) keeps each document as soon as it verified.
  void expect_rejected(Code code, const std::map<std::string, std::string>& before,
                       const std::set<std::string>& may_change = {}) {
    auto s = refresh();
    ASSERT_FALSE(s) << "expected " << code_name(code);
    EXPECT_EQ(s.error().code(), code) << s.error().to_string();
    auto after = snapshot_of(dir / "md");
    auto expected = before;
    for (const auto& f : may_change) {
      expected.erase(f);
      after.erase(f);
    }
    EXPECT_EQ(after, expected) << "trusted metadata changed";
  }
};

}  // namespace ratchet::tuf
