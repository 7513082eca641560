// A repository's layout is its trusted root's: root, timestamp, snapshot, targets (full TUF) or,
// for an Uptane Director only, root and targets. No other shape parses, and a repository that
// may not be targets-only (the Image repository, ratchet-tuf's) refuses a root that says so,
// trusted or rotated to, keeping what it trusted.
#include <gtest/gtest.h>

#include "agent/tuf/directory_store.hpp"
#include "agent/tuf/updater.hpp"
#include "repo/tuf_repository.hpp"
#include "tests/support/data.hpp"
#include "tests/support/temp_dir.hpp"

namespace ratchet::tuf {
namespace {

constexpr Seconds kNow = 1893456000;  // 2030-01-01

Result<Root> root_of(const TufRepository& repo) {
  const auto env = RATCHET_TRY(parse_envelope(repo.root_bytes(1), "root", 1 << 20));
  return parse_root(env, "root");
}

TEST(DirectorLayout, ARootListsFourRolesOrRootAndTargets) {
  auto full = TufRepository::create(kNow).value();
  EXPECT_EQ(root_of(full).value().layout(), Layout::Full);
  const auto two =
      TufRepository::create(kNow, KeyType::Ed25519, false, Layout::TargetsOnly).value();
  EXPECT_EQ(root_of(two).value().layout(), Layout::TargetsOnly);
  EXPECT_EQ(root_of(two).value().roles.size(), 2U);

  for (const char* dropped : {"timestamp", "targets"}) {  // three roles; or no targets role
    auto repo = TufRepository::create(kNow).value();
    repo.signed_part("root")["roles"].erase(dropped);
    if (std::string_view(dropped) == "targets") repo.signed_part("root")["roles"].erase("snapshot");
    const auto env = parse_envelope(repo.sign("root").value(), "root", 1 << 20).value();
    const auto r = parse_root(env, "root");
    ASSERT_FALSE(r) << dropped;
    EXPECT_EQ(r.error().code(), Code::BadMetadata);
  }
}

class LayoutUpdater : public ::testing::Test {
 protected:
  test::TempDir dir;

  Status refresh(bool allow_targets_only) {
    DirectoryStore store(dir / "md");
    DirectoryFetcher fetcher(dir / "repo");
    UpdaterOptions o;
    o.repository = "image repository";
    o.now = [] { return kNow; };
    o.allow_targets_only = allow_targets_only;
    Updater u(store, fetcher, o);
    return u.refresh();
  }
  void trust(const TufRepository& repo) {
    std::filesystem::create_directories(dir / "md");
    test::write_bytes(dir / "md/root.json", test::as_bytes(repo.root_bytes(1)));
  }
};

TEST_F(LayoutUpdater, ATargetsOnlyRootIsOnlyForADirector) {
  // (Without a snapshot nothing names a targets version: a targets-only repository is never a
  // consistent-snapshot one, and serves targets.json.)
  auto repo = TufRepository::create(kNow, KeyType::Ed25519, false, Layout::TargetsOnly).value();
  repo.add_target("file.txt", "hello");
  ASSERT_TRUE(repo.publish(dir / "repo"));
  EXPECT_FALSE(std::filesystem::exists(dir / "repo/timestamp.json"));
  trust(repo);
  const auto r = refresh(false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::BadMetadata);
  EXPECT_NE(r.error().message().find("image repository trusted root v1: lists only root and "
                                     "targets; the image repository needs timestamp and snapshot"),
            std::string::npos)
      << r.error().message();
  const auto director = refresh(true);  // a Director's
  EXPECT_TRUE(director) << director.error().to_string();
}

TEST_F(LayoutUpdater, ARotationToTargetsOnlyIsRefusedWhereItIsNotAllowed) {
  auto repo = TufRepository::create(kNow).value();
  repo.add_target("file.txt", "hello");
  ASSERT_TRUE(repo.publish(dir / "repo"));
  trust(repo);
  ASSERT_TRUE(refresh(false));
  const auto trusted = test::read_bytes(dir / "md/root.json");
  repo.signed_part("root")["roles"].erase("timestamp");
  repo.signed_part("root")["roles"].erase("snapshot");
  repo.bump("root");
  ASSERT_TRUE(repo.publish(dir / "repo"));
  const auto r = refresh(false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::BadMetadata);
  EXPECT_NE(r.error().message().find("root v2: lists only root and targets"), std::string::npos)
      << r.error().message();
  EXPECT_EQ(test::read_bytes(dir / "md/root.json"), trusted);
}

}  // namespace
}  // namespace ratchet::tuf
