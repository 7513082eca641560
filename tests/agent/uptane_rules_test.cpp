// Where the Uptane Standard 2.0 (5.4.4) and TUF 1.0 (5.4-5.6) differ, for one repository
// (docs/uptane.md lists each difference with its test): metadata re-signed at the version already
// trusted, and stored snapshot and targets re-checked against what the newly trusted timestamp
// and snapshot list. `ratchet-tuf` keeps TUF's rules, the Uptane path (UpdaterOptions::uptane)
// the Standard's.
#include "common/hex.hpp"
#include "tests/agent/tuf_client_fixture.hpp"

namespace ratchet::tuf {
namespace {

// A snapshot or timestamp entry for `bytes`, as a repository lists a file with its hashes.
Json meta_of(const std::string& bytes, std::uint64_t version) {
  return Json{{"version", version},
              {"length", bytes.size()},
              {"hashes", Json{{"sha256", to_hex(test::sha256(test::as_bytes(bytes)))}}}};
}

class UptaneRules : public TufClient {
 protected:
  std::string served(const std::string& name) {
    const auto b = test::read_bytes(dir / "repo" / name);
    return {reinterpret_cast<const char*>(b.data()), b.size()};
  }
  // Signs `role` as it is now, at its current version, over the file the repository serves.
  std::string resign(const std::string& role) {
    std::string bytes = repo->sign(role).value();
    const std::string name = role == "timestamp"
                                 ? std::string("timestamp.json")
                                 : fmt::format("{}.{}.json", repo->version(role), role);
    test::write_bytes(dir / "repo" / name, test::as_bytes(bytes));
    return bytes;
  }
  // A new snapshot version listing `targets_meta` for targets.json, and a new timestamp for it.
  std::string relist(const Json& targets_meta, bool bump_snapshot = true) {
    repo->signed_part("snapshot")["meta"]["targets.json"] = targets_meta;
    if (bump_snapshot) repo->bump("snapshot");
    std::string snapshot = resign("snapshot");
    repo->signed_part("timestamp")["meta"]["snapshot.json"] =
        meta_of(snapshot, repo->version("snapshot"));
    repo->bump("timestamp");
    (void)resign("timestamp");
    return snapshot;
  }
  // The trusted timestamp expires in an hour; the repository then re-signs it, at the same
  // version, to expire in a month.
  std::string timestamp_resigned_at_the_same_version() {
    repo->set_expires("timestamp", kNow + 3600);
    EXPECT_TRUE(repo->publish(dir / "repo"));
    EXPECT_TRUE(refresh());
    repo->set_expires("timestamp", kNow + 30LL * 24 * 3600);
    return resign("timestamp");
  }
};

// TUF 1.0 5.4.3.1: an equal version is nothing new; the new file is discarded, and once the
// trusted one expires the repository is frozen out until it publishes a higher version.
TEST_F(UptaneRules, TufDiscardsAnEqualVersionTimestamp) {
  (void)timestamp_resigned_at_the_same_version();
  const auto before = snapshot_of(dir / "md");
  std::vector<std::string> requested;
  ASSERT_TRUE(refresh(&requested));
  EXPECT_EQ(requested, (std::vector<std::string>{"2.root.json", "timestamp.json"}));
  EXPECT_EQ(snapshot_of(dir / "md"), before);
  now = kNow + 7200;
  expect_rejected(Code::ExpiredMetadata, before);
}

// Uptane 2.0 5.4.4.4 step 3: the previous version must be less than or equal to the new one; an
// equal-version timestamp that verifies is trusted (and its later expiry with it).
TEST_F(UptaneRules, UptaneTrustsAnEqualVersionTimestampThatVerifies) {
  uptane = true;
  const std::string resigned = timestamp_resigned_at_the_same_version();
  ASSERT_TRUE(refresh());
  EXPECT_EQ(snapshot_of(dir / "md").at("timestamp.json"), resigned);
  now = kNow + 7200;
  const auto s = refresh();
  EXPECT_TRUE(s) << s.error().to_string();
}

// The timestamp lists a snapshot at the version already trusted but with other hashes. TUF (as
// python-tuf) uses the stored snapshot, whose version fits; Uptane 2.0 5.4.4.2 step 4 compares
// hashes and version and fetches it again.
TEST_F(UptaneRules, ASnapshotWhoseHashesTheTimestampNoLongerListsIsFetchedAgainUnderUptane) {
  ASSERT_TRUE(refresh());
  const auto v = repo->version("snapshot");
  repo->set_expires("snapshot", kNow + 60LL * 24 * 3600);
  const std::string snapshot = relist(Json{{"version", repo->version("targets")}}, false);
  const std::string stored = snapshot_of(dir / "md").at("snapshot.json");
  ASSERT_NE(snapshot, stored);
  std::vector<std::string> requested;
  ASSERT_TRUE(refresh(&requested));
  EXPECT_EQ(requested, (std::vector<std::string>{"2.root.json", "timestamp.json"}));
  EXPECT_EQ(snapshot_of(dir / "md").at("snapshot.json"), stored);

  uptane = true;
  ASSERT_TRUE(refresh(&requested));
  EXPECT_EQ(requested, (std::vector<std::string>{"2.root.json", "timestamp.json",
                                                 fmt::format("{}.snapshot.json", v)}));
  EXPECT_EQ(snapshot_of(dir / "md").at("snapshot.json"), snapshot);
}

// The stored snapshot that was fetched again is still the previous one (Uptane 2.0 5.4.4.5
// step 5): a snapshot at the same version listing an older targets version is a rollback.
TEST_F(UptaneRules, AnEqualVersionSnapshotMayNotListAnOlderTargets) {
  uptane = true;
  repo->bump("targets");
  ASSERT_TRUE(repo->publish(dir / "repo"));  // targets v2; 1.targets.json is still served
  const auto before = trusted_after_first_refresh();
  (void)relist(Json{{"version", 1}}, false);
  expect_rejected(Code::RollbackAttempt, before, {"timestamp.json"});
}

// Targets re-signed at its trusted version with other content, listed with its hashes by a new
// snapshot: the stored copy no longer matches and is fetched again (TUF 5.6.2 as python-tuf does
// it, Uptane 2.0 5.4.4.6), under both rules.
TEST_F(UptaneRules, StoredTargetsAreCheckedAgainstTheHashesTheSnapshotLists) {
  for (const bool rules : {false, true}) {
    uptane = rules;
    ASSERT_TRUE(refresh());
    repo->add_target(rules ? "uptane.txt" : "tuf.txt", "added at the same version");
    const std::string targets = resign("targets");
    (void)relist(meta_of(targets, repo->version("targets")));
    std::vector<std::string> requested;
    const auto s = refresh(&requested);
    ASSERT_TRUE(s) << s.error().to_string();
    EXPECT_EQ(requested.back(), fmt::format("{}.targets.json", repo->version("targets")));
    EXPECT_EQ(snapshot_of(dir / "md").at("targets.json"), targets);
  }
}

// A targets file served with other bytes than the snapshot's hashes is refused under both rules.
TEST_F(UptaneRules, TargetsThatDifferFromTheListedHashesAreRefused) {
  uptane = true;
  const auto before = trusted_after_first_refresh();
  repo->add_target("extra.txt", "listed");
  const std::string targets = repo->sign("targets").value();
  (void)relist(meta_of(targets, repo->version("targets")));
  repo->add_target("extra.txt", "listeD");  // the same length, other bytes
  (void)resign("targets");
  expect_rejected(Code::HashMismatch, before, {"timestamp.json", "snapshot.json"});
}

}  // namespace
}  // namespace ratchet::tuf
