// `ratchet fetch` where the Uptane Standard 2.0 and TUF 1.0 differ, and what a Primary's full
// verification must hold beyond the attacks of uptane_fetch_test.cpp: metadata re-signed at the
// version already trusted, root rotation of both repositories, delegation thresholds and a
// diamond. Every scenario runs against both Director layouts and both dialects; every refusal
// asserts the exact error and a byte-identical store. docs/uptane.md maps each to its section.
#include "common/hex.hpp"
#include "tests/agent/uptane_fetch_fixture.hpp"

namespace ratchet::uptane {
namespace {

constexpr tuf::Seconds kMonth = 30LL * 24 * 3600;

class UptaneFetchRules : public UptaneFetch {
 protected:
  // This device's second ECU, for the targets these tests add.
  const std::vector<std::string> second_ecu{"--ecu-serial", "ecu-2", "--hardware-id", "board-a"};
  const Json board_a{{"hardwareIds", Json::array({"board-a"})}};

  test::ProcessResult fetch_both(std::vector<std::string> prefix = {}) {
    return fetch(std::move(prefix), "ecu-1", "board-a", second_ecu);
  }
  void expect_refused_both(const std::string& code, const test::Bytes& before) {
    auto r = fetch_both();
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("error: " + code + ": "), std::string::npos) << r.err;
    EXPECT_EQ(store_bytes(), before) << "the trusted store changed";
  }
  // The file a repository serves for `role` at its current version.
  std::filesystem::path served(const TufRepository& repo, const std::filesystem::path& d,
                               const std::string& role) const {
    if (role == "timestamp") return d / "timestamp.json";
    if (role == "root") return d / fmt::format("{}.root.json", repo.version("root"));
    // The Director is published without consistent snapshots, the Image repository with.
    if (&repo == &*image) return d / fmt::format("{}.{}.json", repo.version(role), role);
    return d / fmt::format("{}.json", role);
  }
  void resign(TufRepository& repo, const std::filesystem::path& d, const std::string& role,
              const std::vector<const tuf::PrivateKey*>& by = {}) {
    test::write_bytes(served(repo, d, role), test::as_bytes(repo.sign(role, by).value()));
  }
  bool full() const { return GetParam().director_layout == tuf::Layout::Full; }
};

// Uptane 2.0 5.4.4.4 step 3 and 5.4.4.6 step 4: "less than or equal". The Director's targets (and
// timestamp) and the Image repository's timestamp are re-signed at the versions the device
// trusts, to expire a month later: after the old ones expired, the fetch still verifies. (TUF
// 1.0 5.4.3.1 would discard the equal-version timestamp and be frozen out: uptane_rules_test.)
TEST_P(UptaneFetchRules, MetadataReSignedAtTheSameVersionIsTrusted) {
  const auto now = static_cast<tuf::Seconds>(::time(nullptr));
  director->set_expires("targets", now + 3600);
  if (full()) director->set_expires("timestamp", now + 3600);
  image->set_expires("timestamp", now + 3600);
  publish();
  ASSERT_EQ(fetch().exit_code, 0);
  const auto versions = std::make_pair(director->version("targets"), image->version("timestamp"));
  director->set_expires("targets", now + kMonth);
  resign(*director, dir / "director", "targets");
  if (full()) {
    director->set_expires("timestamp", now + kMonth);
    resign(*director, dir / "director", "timestamp");
  }
  image->set_expires("timestamp", now + kMonth);
  resign(*image, dir / "image", "timestamp");
  ASSERT_EQ(versions, std::make_pair(director->version("targets"), image->version("timestamp")));
  const auto before = store_bytes();
  auto r = fetch({"faketime", "-f", "+2h"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(store_bytes(), before) << "the re-signed metadata was not trusted";
}

// Root rotation N -> N+1 of each repository: refused unless signed by a threshold of version N's
// keys and of its own (TUF 1.0 5.3.4, Uptane 2.0 5.4.4.3 step 2.3), refused when the file holds
// another version than N+1, a skip or the trusted one again (5.3.5, 5.4.4.3 step 2.4).
TEST_P(UptaneFetchRules, RootRotationOfBothRepositories) {
  ASSERT_EQ(fetch().exit_code, 0);
  for (auto* repo : {&*director, &*image}) {
    const auto d = dir / (repo == &*director ? "director" : "image");
    SCOPED_TRACE(d.filename().string());
    const auto before = store_bytes();
    const tuf::PrivateKey old_key = repo->keys("root").front();
    const tuf::PrivateKey new_key = tuf::PrivateKey::generate(tuf::KeyType::Ed25519).value();
    ASSERT_TRUE(repo->add_key("root", new_key));
    repo->remove_key("root", old_key.public_key().key_id());
    repo->bump("root");
    const std::uint64_t next = repo->version("root");
    resign(*repo, d, "root", {&new_key});  // not by the trusted keys
    expect_refused("ThresholdNotMet", before);
    resign(*repo, d, "root", {&old_key});  // not by its own
    expect_refused("ThresholdNotMet", before);
    for (const std::uint64_t held : {next + 1, next - 1}) {  // a skip; the trusted version again
      repo->signed_part("root")["version"] = held;
      test::write_bytes(d / fmt::format("{}.root.json", next),
                        test::as_bytes(repo->sign("root", {&old_key, &new_key}).value()));
      expect_refused("VersionMismatch", before);
    }
    repo->signed_part("root")["version"] = next;
    publish();  // signed by both
    auto r = fetch();
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(store_bytes(), before);
  }
  // Both rotated roots are trusted from now on: the old root keys sign nothing any more.
  ASSERT_EQ(fetch().exit_code, 0);
}

// A delegated role of the Image repository with two keys and threshold 2: one signature is not
// enough, two are, and a third (redundant) one does no harm (TUF 1.0 5.6.3, Uptane 2.0 5.4.4.6
// step 3.2).
TEST_P(UptaneFetchRules, DelegationThresholdsCountSignaturesOfDistinctKeys) {
  const tuf::PrivateKey first = image->add_delegation("targets", "apps", {"d-*"}).value();
  const tuf::PrivateKey second = tuf::PrivateKey::generate(tuf::KeyType::Ed25519).value();
  ASSERT_TRUE(image->add_key("apps", second));
  image->signed_part("targets")["delegations"]["roles"][0]["threshold"] = 2;
  image->add_target("d-fw.bin", "delegated firmware", board_a, "apps");
  assign("d-fw.bin", "delegated firmware", "ecu-2", "board-a");
  publish();
  auto r = fetch_both();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir / "out/d-fw.bin"));

  const auto before = store_bytes();
  image->add_target("d-fw.bin", "delegated firmware v2", board_a, "apps");
  assign("d-fw.bin", "delegated firmware v2", "ecu-2", "board-a");
  publish();
  resign(*image, dir / "image", "apps", {&first});
  expect_refused_both("ThresholdNotMet", before);
  const tuf::PrivateKey third = tuf::PrivateKey::generate(tuf::KeyType::Ed25519).value();
  ASSERT_TRUE(image->add_key("apps", third));
  image->bump("apps");
  publish();
  resign(*image, dir / "image", "apps", {&first, &second, &third});
  r = fetch_both();
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// A diamond (TUF 1.0 5.6.7, Uptane 2.0 5.4.4.7): parent-a and parent-b both delegate to
// `release`, parent-b with a key that did not sign it. The Director first assigns a target found
// through parent-a (release verifies, and is stored), then one that the search reaches through
// parent-b: the stored copy is not trusted under parent-b, it is verified with parent-b's key,
// and the fetch is refused with the store unchanged.
TEST_P(UptaneFetchRules, ADiamondsRoleIsVerifiedWithTheKeysOfTheDelegatorOnThePath) {
  ASSERT_TRUE(image->add_delegation("targets", "parent-a", {"a-*"}));
  ASSERT_TRUE(image->add_delegation("targets", "parent-b", {"b-*"}));
  ASSERT_TRUE(image->add_delegation("parent-a", "release", {"a-*"}));
  image->add_target("a-fw.bin", "through parent-a", board_a, "release");
  image->add_target("b-fw.bin", "through parent-b", board_a, "release");
  const auto delegate_release = [&](const tuf::PublicKey& key) {
    image->signed_part("parent-b")["delegations"] =
        Json{{"keys", Json{{key.key_id(), key.to_json()}}},
             {"roles", Json::array({Json{{"name", "release"},
                                         {"keyids", Json::array({key.key_id()})},
                                         {"threshold", 1},
                                         {"terminating", false},
                                         {"paths", Json::array({"b-*"})}}})}};
  };
  const tuf::PrivateKey other = tuf::PrivateKey::generate(tuf::KeyType::Ed25519).value();
  delegate_release(other.public_key());
  assign("a-fw.bin", "through parent-a", "ecu-2", "board-a");
  publish();
  auto r = fetch_both();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir / "out/a-fw.bin"));

  const auto before = store_bytes();
  director->signed_part("targets")["targets"].erase("a-fw.bin");
  assign("b-fw.bin", "through parent-b", "ecu-2", "board-a");
  publish();
  r = fetch_both();
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("error: ThresholdNotMet: image repository release"), std::string::npos)
      << r.err;
  EXPECT_EQ(store_bytes(), before) << "the trusted store changed";
  EXPECT_FALSE(std::filesystem::exists(dir / "out/b-fw.bin"));

  delegate_release(image->keys("release").front().public_key());  // the key that signs it
  publish();
  r = fetch_both();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir / "out/b-fw.bin"));
}

// Uptane 2.0 5.4.2.4 / 5.4.4.2 step 10: the image downloaded must have the length and hashes both
// repositories list; other bytes of the same length are refused and never delivered.
TEST_P(UptaneFetchRules, AnImageWithOtherBytesIsRefusedAndNotDelivered) {
  std::string other = firmware;
  other.back() ^= 1;
  test::write_bytes(
      dir / "image/targets" / (to_hex(test::sha256(test::as_bytes(firmware))) + ".fw.bin"),
      test::as_bytes(other));
  auto r = fetch();
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("error: HashMismatch: "), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "out/fw.bin"));
}

INSTANTIATE_TEST_SUITE_P(Layouts, UptaneFetchRules, every_variant(), variant_name);

}  // namespace
}  // namespace ratchet::uptane
