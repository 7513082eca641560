// The TUF client workflow against a repository published by TufRepository and served by the
// project's Beast server: the normal path, the requests it makes, and attacks. Each attack
// asserts the exact error and that the trusted metadata on disk is byte-for-byte unchanged.
#include "common/hex.hpp"
#include "tests/agent/tuf_client_fixture.hpp"

namespace ratchet::tuf {
namespace {

TEST_F(TufClient, FirstRefreshRequestsWhatTheSpecRequiresInOrder) {
  std::vector<std::string> requested;
  ASSERT_TRUE(refresh(&requested));
  EXPECT_EQ(requested, (std::vector<std::string>{"2.root.json", "timestamp.json", "1.snapshot.json",
                                                 "1.targets.json"}));
  const auto md = snapshot_of(dir / "md");
  EXPECT_EQ(md.size(), 4U);
  EXPECT_EQ(md.at("timestamp.json"),
            std::string(
                reinterpret_cast<const char*>(test::read_bytes(dir / "repo/timestamp.json").data()),
                std::filesystem::file_size(dir / "repo/timestamp.json")));
  // Nothing new: only the root probe and the timestamp.
  ASSERT_TRUE(refresh(&requested));
  EXPECT_EQ(requested, (std::vector<std::string>{"2.root.json", "timestamp.json"}));
}

TEST_F(TufClient, RootRotationIsFollowedVersionByVersion) {
  (void)trusted_after_first_refresh();
  for (int i = 0; i < 3; ++i) {
    const auto old_id = repo->keys("root").front().public_key().key_id();
    ASSERT_TRUE(repo->add_key("root", PrivateKey::generate(KeyType::Ed25519).value()));
    repo->remove_key("root", old_id);
    repo->bump("root");
    ASSERT_TRUE(repo->publish(dir / "repo"));
  }
  std::vector<std::string> requested;
  ASSERT_TRUE(refresh(&requested));
  EXPECT_EQ(requested.front(), "2.root.json");
  EXPECT_EQ(requested[3], "5.root.json");  // 2, 3, 4, then 5 is not there
}

TEST_F(TufClient, TimestampRollbackIsRefused) {
  const auto old_ts = test::read_bytes(dir / "repo/timestamp.json");
  repo->add_target("file2.txt", "more");
  ASSERT_TRUE(repo->publish(dir / "repo"));
  const auto before = trusted_after_first_refresh();
  test::write_bytes(dir / "repo/timestamp.json", old_ts);  // a replayed old timestamp
  expect_rejected(Code::RollbackAttempt, before);
}

TEST_F(TufClient, ExpiredTimestampIsAFreezeAttack) {
  const auto before = trusted_after_first_refresh();
  now = kNow + 400LL * 24 * 3600;  // the repository's metadata expired
  expect_rejected(Code::ExpiredMetadata, before);
}

TEST_F(TufClient, SignatureByAnUntrustedKeyIsRefused) {
  const auto before = trusted_after_first_refresh();
  auto attacker = PrivateKey::generate(KeyType::Ed25519).value();
  repo->bump("timestamp");
  auto forged = repo->sign("timestamp", {&attacker}).value();
  test::write_bytes(dir / "repo/timestamp.json", test::as_bytes(forged));
  expect_rejected(Code::ThresholdNotMet, before);
}

TEST_F(TufClient, ThresholdCountsDistinctKeysOnly) {
  repo->add_key("timestamp", PrivateKey::generate(KeyType::Ed25519).value()).value();
  repo->set_threshold("timestamp", 2);
  repo->bump("root");
  ASSERT_TRUE(repo->publish(dir / "repo"));
  const auto before = trusted_after_first_refresh();
  // Two signatures, both by the same key: one key below the threshold of two.
  const PrivateKey& k = repo->keys("timestamp").front();
  repo->bump("timestamp");
  auto doc = Json::parse(repo->sign("timestamp", {&k, &k}).value());
  ASSERT_EQ(doc["signatures"].size(), 2U);
  test::write_bytes(dir / "repo/timestamp.json", test::as_bytes(doc.dump()));
  // As python-tuf: two signatures under one key ID make the document invalid.
  expect_rejected(Code::BadMetadata, before);
}

TEST_F(TufClient, TamperedSignatureIsBadSignature) {
  const auto before = trusted_after_first_refresh();
  repo->bump("timestamp");
  auto doc = Json::parse(repo->sign("timestamp").value());
  doc["signed"]["version"] = 99;  // signed content changed after signing
  test::write_bytes(dir / "repo/timestamp.json", test::as_bytes(doc.dump()));
  expect_rejected(Code::BadSignature, before);
}

TEST_F(TufClient, MixAndMatchSnapshotIsCaughtByItsHash) {
  repo->add_target("file2.txt", "more");
  ASSERT_TRUE(repo->publish(dir / "repo"));
  const auto before = trusted_after_first_refresh();
  // The mirror serves a snapshot other than the one the timestamp lists.
  repo->add_target("file3.txt", "third");
  ASSERT_TRUE(repo->publish(dir / "repo"));
  const auto v = repo->version("snapshot");
  auto other = repo->signed_part("snapshot");
  other["expires"] = "2031-06-01T00:00:00Z";
  const auto stale = test::read_bytes(dir / "repo" / fmt::format("{}.snapshot.json", v));
  auto doc = Json::parse(std::string(reinterpret_cast<const char*>(stale.data()), stale.size()));
  doc["signed"]["expires"] = "2031-06-01T00:00:00Z";
  test::write_bytes(dir / "repo" / fmt::format("{}.snapshot.json", v), test::as_bytes(doc.dump()));
  expect_rejected(Code::LengthMismatch, before, {"timestamp.json"});
}

TEST_F(TufClient, EndlessTimestampStopsAtItsBound) {
  const auto before = trusted_after_first_refresh();
  test::write_bytes(dir / "repo/timestamp.json", test::random_bytes(64 * 1024, 1));
  expect_rejected(Code::TooLarge, before);
}

TEST_F(TufClient, FastForwardRecoveryAfterTimestampKeyRotation) {
  // The timestamp key was compromised and used to push version 1000; the owner rotates it.
  const auto before = trusted_after_first_refresh();
  for (int i = 0; i < 999; ++i)
    repo->bump("timestamp");
  auto stolen = repo->sign("timestamp").value();
  test::write_bytes(dir / "repo/timestamp.json", test::as_bytes(stolen));
  ASSERT_TRUE(refresh());
  const auto old_id = repo->keys("timestamp").front().public_key().key_id();
  ASSERT_TRUE(repo->add_key("timestamp", PrivateKey::generate(KeyType::Ed25519).value()));
  repo->remove_key("timestamp", old_id);
  repo->bump("root");
  repo->signed_part("timestamp")["version"] = 2;  // numbering restarts under the new key
  ASSERT_TRUE(repo->publish(dir / "repo"));
  auto s = refresh();
  EXPECT_TRUE(s) << s.error().to_string();
}

TEST_F(TufClient, WrongRootVersionInsideTheFileIsRefused) {
  const auto before = trusted_after_first_refresh();
  repo->bump("root");
  repo->bump("root");  // 3 published as 2.root.json
  ASSERT_TRUE(repo->publish(dir / "repo"));
  std::filesystem::copy_file(dir / "repo/3.root.json", dir / "repo/2.root.json",
                             std::filesystem::copy_options::overwrite_existing);
  expect_rejected(Code::VersionMismatch, before);
}

TEST_F(TufClient, SnapshotListingAnOlderTargetsVersionIsRollback) {
  repo->bump("targets");
  ASSERT_TRUE(repo->publish(dir / "repo"));  // targets v2
  const auto before = trusted_after_first_refresh();
  repo->signed_part("targets")["version"] = 1;  // a re-signed snapshot pointing back at targets v1
  repo->add_target("file.txt", "hello");
  repo->bump("snapshot");
  ASSERT_TRUE(repo->publish(dir / "repo"));
  expect_rejected(Code::RollbackAttempt, before, {"timestamp.json"});
}

TEST_F(TufClient, ExpiredIntermediateRootIsFineExpiredFinalRootIsNot) {
  (void)trusted_after_first_refresh();
  repo->set_expires("root", kNow - 10);  // v2 expired, but v3 supersedes it
  repo->bump("root");
  ASSERT_TRUE(repo->publish(dir / "repo"));
  repo->set_expires("root", kNow + 1000);
  repo->bump("root");
  ASSERT_TRUE(repo->publish(dir / "repo"));
  ASSERT_TRUE(refresh());
  // Now a final root that is itself expired: kept as trusted (it verified), but refused as final.
  repo->set_expires("root", kNow - 10);
  repo->bump("root");
  ASSERT_TRUE(repo->publish(dir / "repo"));
  const auto before = snapshot_of(dir / "md");
  expect_rejected(Code::ExpiredMetadata, before, {"root.json"});
}

TEST_F(TufClient, SlowRetrievalOfMetadataIsAbandoned) {
  const auto before = trusted_after_first_refresh();
  repo->bump("timestamp");
  ASSERT_TRUE(repo->publish(dir / "repo"));
  server->set_fault(
      {.fault = test::HttpFault::Slow, .bytes_per_second = 100, .only_path = "/timestamp.json"});
  DirectoryStore store(dir / "md");
  streaming::HttpOptions h;
  h.retries = 0;
  h.min_rate = 64 * 1024;
  h.low_speed_time = std::chrono::seconds(1);
  HttpFetcher fetcher(server->url(""), h);
  UpdaterOptions o;
  o.now = [] { return kNow; };
  Updater u(store, fetcher, o);
  auto s = u.refresh();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), Code::SlowRetrieval) << s.error().to_string();
  EXPECT_EQ(snapshot_of(dir / "md"), before);
}

TEST_F(TufClient, SnapshotDroppingATargetsRoleIsRollback) {
  ASSERT_TRUE(repo->add_delegation("targets", "role1", {"apps/*"}));
  ASSERT_TRUE(repo->publish(dir / "repo"));
  const auto before = trusted_after_first_refresh();
  // The snapshot stops listing role1.json (its delegation is gone): a role may not disappear.
  repo->remove_delegation("targets", "role1");
  ASSERT_TRUE(repo->publish(dir / "repo"));
  expect_rejected(Code::RollbackAttempt, before, {"timestamp.json"});
}

TEST_F(TufClient, TerminatingDelegationStopsTheSearch) {
  ASSERT_TRUE(repo->add_delegation("targets", "first", {"apps/*"}, /*terminating=*/true));
  ASSERT_TRUE(repo->add_delegation("targets", "second", {"apps/*"}));
  repo->add_target("apps/x.bin", "from second", Json::object(), "second");
  ASSERT_TRUE(repo->publish(dir / "repo"));
  DirectoryStore store(dir / "md");
  DirectoryFetcher fetcher(dir / "repo");
  UpdaterOptions o;
  o.now = [] { return kNow; };
  Updater u(store, fetcher, o);
  ASSERT_TRUE(u.refresh());
  EXPECT_EQ(u.find_target("apps/x.bin").error().code(), Code::TargetNotFound);
  EXPECT_EQ(fetcher.requested().back(), "1.first.json");  // "second" was never consulted
}

TEST_F(TufClient, DelegationSearchIsBounded) {
  // A chain targets -> d0 -> d1 -> ... longer than the bound on roles visited.
  std::string parent = "targets";
  for (int i = 0; i < 6; ++i) {
    const std::string role = "d" + std::to_string(i);
    ASSERT_TRUE(repo->add_delegation(parent, role, {"*"}));
    parent = role;
  }
  repo->add_target("deep.bin", "deep", Json::object(), parent);
  ASSERT_TRUE(repo->publish(dir / "repo"));
  DirectoryStore store(dir / "md");
  DirectoryFetcher fetcher(dir / "repo");
  UpdaterOptions o;
  o.now = [] { return kNow; };
  o.max_delegations = 4;
  Updater u(store, fetcher, o);
  ASSERT_TRUE(u.refresh());
  EXPECT_EQ(u.find_target("deep.bin").error().code(), Code::DelegationLimit);
  o.max_delegations = 32;
  Updater roomy(store, fetcher, o);
  ASSERT_TRUE(roomy.refresh());
  EXPECT_TRUE(roomy.find_target("deep.bin"));
}

TEST(DelegationPaths, GlobsDoNotCrossDirectoriesAndHashPrefixesMatch) {
  EXPECT_TRUE(path_matches("apps/*", "apps/a.bin"));
  EXPECT_FALSE(path_matches("apps/*", "apps/sub/a.bin"));
  EXPECT_TRUE(path_matches("apps/*/a.bin", "apps/sub/a.bin"));
  EXPECT_TRUE(path_matches("*.bin", "a.bin"));
  EXPECT_FALSE(path_matches("*.bin", "dir/a.bin"));
  EXPECT_TRUE(path_matches("file-?.txt", "file-1.txt"));
  DelegatedRole bins;
  // sha256("file.txt") starts with 8c...
  bins.path_hash_prefixes = std::vector<std::string>{"8c", "00"};
  const std::string h = to_hex(test::sha256(test::as_bytes("file.txt")));
  bins.path_hash_prefixes = std::vector<std::string>{h.substr(0, 2)};
  EXPECT_TRUE(bins.covers("file.txt"));
  bins.path_hash_prefixes = std::vector<std::string>{h[0] == '0' ? "1" : "0"};
  EXPECT_FALSE(bins.covers("file.txt"));
  SuccinctRoles sr{RoleKeys{}, 8, "bin"};
  const auto name = sr.role_for("file.txt");
  EXPECT_EQ(name, "bin-" + h.substr(0, 2));
  EXPECT_TRUE(sr.is_bin(name));
  EXPECT_FALSE(sr.is_bin("bin-100"));
  EXPECT_FALSE(sr.is_bin("other-00"));
}

// The same client over a directory (a USB stick, an unpacked bundle) instead of HTTP.
TEST_F(TufClient, RefreshFromADirectory) {
  DirectoryStore store(dir / "md");
  DirectoryFetcher fetcher(dir / "repo");
  UpdaterOptions o;
  o.now = [] { return kNow; };
  Updater u(store, fetcher, o);
  auto s = u.refresh();
  ASSERT_TRUE(s) << s.error().to_string();
  EXPECT_EQ(fetcher.requested(), (std::vector<std::string>{"2.root.json", "timestamp.json",
                                                           "1.snapshot.json", "1.targets.json"}));
  EXPECT_EQ(u.find_target("file.txt")->length, 5U);
  // A path that would leave the directory is refused, not followed.
  EXPECT_EQ(fetcher.fetch("../md/root.json", 1000).error().code(), Code::BadMetadata);
}

TEST_F(TufClient, DelegatedTargetIsFoundThroughTheDelegation) {
  ASSERT_TRUE(repo->add_delegation("targets", "role1", {"apps/*"}));
  repo->add_target("apps/a.bin", "delegated content", Json::object(), "role1");
  ASSERT_TRUE(repo->publish(dir / "repo"));
  DirectoryStore store(dir / "md");
  HttpFetcher fetcher(server->url(""), {});
  UpdaterOptions o;
  o.now = [] { return kNow; };
  Updater u(store, fetcher, o);
  ASSERT_TRUE(u.refresh());
  auto t = u.find_target("apps/a.bin");
  ASSERT_TRUE(t) << t.error().to_string();
  EXPECT_EQ(t->length, 17U);
  EXPECT_EQ(u.find_target("apps/none.bin").error().code(), Code::TargetNotFound);
  EXPECT_EQ(u.find_target("other/a.bin").error().code(), Code::TargetNotFound);
  EXPECT_TRUE(std::filesystem::exists(dir / "md/role1.json"));
}

// A diamond (TUF 1.0 5.6.7): parent-a and parent-b both delegate to `release`, parent-b with a key
// that did not sign it. Found through parent-a, `release` verifies; searched for through
// parent-b, the copy verified under parent-a is not trusted: it is verified again with parent-b's
// keys, and fails.
TEST_F(TufClient, ADiamondsRoleIsVerifiedWithTheKeysOfTheDelegatorOnThePath) {
  ASSERT_TRUE(repo->add_delegation("targets", "parent-a", {"apps/*"}));
  ASSERT_TRUE(repo->add_delegation("targets", "parent-b", {"other/*"}));
  ASSERT_TRUE(repo->add_delegation("parent-a", "release", {"apps/*"}));
  repo->add_target("apps/a.bin", "through parent-a", Json::object(), "release");
  repo->add_target("other/b.bin", "through parent-b", Json::object(), "release");
  const PrivateKey other = PrivateKey::generate(KeyType::Ed25519).value();
  Json& b = repo->signed_part("parent-b");
  b["delegations"] =
      Json{{"keys", Json{{other.public_key().key_id(), other.public_key().to_json()}}},
           {"roles", Json::array({Json{{"name", "release"},
                                       {"keyids", Json::array({other.public_key().key_id()})},
                                       {"threshold", 1},
                                       {"terminating", false},
                                       {"paths", Json::array({"other/*"})}}})}};
  ASSERT_TRUE(repo->publish(dir / "repo"));
  DirectoryStore store(dir / "md");
  HttpFetcher fetcher(server->url(""), {});
  Updater u(store, fetcher, options());
  ASSERT_TRUE(u.refresh());
  auto a = u.find_target("apps/a.bin");
  ASSERT_TRUE(a) << a.error().to_string();
  EXPECT_EQ(a->length, 16U);
  auto b_target = u.find_target("other/b.bin");
  ASSERT_FALSE(b_target) << "release was trusted under parent-b with parent-a's keys";
  EXPECT_TRUE(b_target.error().code() == Code::BadSignature ||
              b_target.error().code() == Code::ThresholdNotMet)
      << b_target.error().to_string();
  EXPECT_NE(b_target.error().message().find("release"), std::string::npos)
      << b_target.error().to_string();
  // The same role under parent-b with the key that signed it: both paths find their target.
  b["delegations"]["keys"] = Json{{repo->keys("release").front().public_key().key_id(),
                                   repo->keys("release").front().public_key().to_json()}};
  b["delegations"]["roles"][0]["keyids"] =
      Json::array({repo->keys("release").front().public_key().key_id()});
  ASSERT_TRUE(repo->publish(dir / "repo"));
  Updater again(store, fetcher, options());
  ASSERT_TRUE(again.refresh());
  ASSERT_TRUE(again.find_target("apps/a.bin"));
  auto found = again.find_target("other/b.bin");
  ASSERT_TRUE(found) << found.error().to_string();
  EXPECT_EQ(found->length, 16U);
}

}  // namespace
}  // namespace ratchet::tuf
