// `ratchet fetch` against a Director and an Image repository, each on its own Beast server:
// full verification, the store committed only when the whole set verifies, and the attacks a
// compromised or confused server can try. Every scenario runs against both Director layouts
// (targets-only as OTA Community Edition serves it, and full TUF) and both metadata dialects
// (TUF 1.0, and aktualizr's: repo/dialect.hpp), each asserting the exact error and an unchanged
// store.
#include "agent/uptane/verification.hpp"
#include "tests/agent/uptane_fetch_fixture.hpp"
#include "tests/support/key_twice.hpp"

namespace ratchet::uptane {
namespace {

TEST_P(UptaneFetch, DownloadsThisEcusVerifiedTarget) {
  auto r = fetch();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::read_bytes(dir / "out/fw.bin"),
            test::Bytes(test::as_bytes(firmware).begin(), test::as_bytes(firmware).end()));
  // Runs again from the stored state (no trust on first use now).
  ASSERT_EQ(fetch().exit_code, 0);
}

// Uptane 2.0 5.4.4.6 step 8: a Director that names an ECU this vehicle does not have is
// refused, naming it; nothing is trusted or downloaded.
TEST_P(UptaneFetch, AnEcuThatIsNotOursIsRefused) {
  auto r = fetch({}, "ecu-9", "board-a");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("error: BadEcuSerial: director targets v1 target fw.bin: ECU ecu-1 is not "
                       "one of this device's ECUs (ecu-9)"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "out/fw.bin"));

  ASSERT_EQ(fetch().exit_code, 0);
  const auto before = store_bytes();
  assign("fw.bin", firmware, "ecu-7", "board-a");  // one more, unknown
  publish();
  expect_refused("BadEcuSerial", before);
}

// The vehicle's ECUs in pairs: each named ECU is ours, the one with no assignment has nothing
// to do.
TEST_P(UptaneFetch, SeveralEcusInPairs) {
  auto r = fetch({}, "ecu-9", "board-b", {"--ecu-serial", "ecu-1", "--hardware-id", "board-a"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir / "out/fw.bin"));
  r = fetch({}, "ecu-9", "board-b", {"--ecu-serial", "ecu-1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("come in pairs"), std::string::npos) << r.err;
}

TEST_P(UptaneFetch, WrongHardwareIsRefused) {
  auto r = fetch({}, "ecu-1", "board-b");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("error: BadHardwareId: "), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "out/fw.bin"));
}

TEST_P(UptaneFetch, DirectorAndImageMustAgree) {
  ASSERT_EQ(fetch().exit_code, 0);
  const auto before = store_bytes();
  // A compromised Director points the ECU at other bytes than the Image repository signed.
  director->add_target("fw.bin", "malware",
                       Json{{"ecuIdentifiers", Json{{"ecu-1", Json{{"hardwareId", "board-a"}}}}}});
  publish();
  expect_refused("DirectorImageMismatch", before);
}

TEST_P(UptaneFetch, ArbitraryTargetNotInTheImageRepository) {
  ASSERT_EQ(fetch().exit_code, 0);
  const auto before = store_bytes();
  director->signed_part("targets")["targets"].erase("fw.bin");
  assign("evil.bin", "evil", "ecu-1", "board-a");
  publish();
  expect_refused("DirectorImageMismatch", before);
}

TEST_P(UptaneFetch, OneEcuTwoImagesIsRefused) {
  ASSERT_EQ(fetch().exit_code, 0);
  const auto before = store_bytes();
  image->add_target("fw2.bin", "other", Json{{"hardwareIds", Json::array({"board-a"})}});
  assign("fw2.bin", "other", "ecu-1", "board-a");
  publish();
  expect_refused("DuplicateEcu", before);
}

// The Director's whole earlier set replayed (targets-only: its targets; full TUF: timestamp,
// snapshot and targets together).
TEST_P(UptaneFetch, DirectorTargetsRollbackIsRefused) {
  std::filesystem::copy(dir / "director", dir / "director-old",
                        std::filesystem::copy_options::recursive);
  assign("fw.bin", firmware, "ecu-1", "board-a");  // same content, new version
  director->bump("targets");
  publish();
  ASSERT_EQ(fetch().exit_code, 0);
  const auto before = store_bytes();
  std::filesystem::remove_all(dir / "director");
  std::filesystem::rename(dir / "director-old", dir / "director");
  expect_refused("RollbackAttempt", before);
}

TEST_P(UptaneFetch, ImageTimestampAndSnapshotRollbackAreRefused) {
  const auto old_timestamp = test::read_bytes(dir / "image/timestamp.json");
  image->add_target("other.bin", "other");
  publish();
  ASSERT_EQ(fetch().exit_code, 0);
  const auto before = store_bytes();
  const auto new_timestamp = test::read_bytes(dir / "image/timestamp.json");
  test::write_bytes(dir / "image/timestamp.json", old_timestamp);
  expect_refused("RollbackAttempt", before);
  // A timestamp that is newer but points at an older snapshot version.
  test::write_bytes(dir / "image/timestamp.json", new_timestamp);
  image->signed_part("timestamp")["version"] = image->version("timestamp") + 5;
  image->signed_part("timestamp")["meta"]["snapshot.json"]["version"] = 1;
  test::write_bytes(dir / "image/timestamp.json", test::as_bytes(image->sign("timestamp").value()));
  expect_refused("RollbackAttempt", before);
}

TEST_P(UptaneFetch, ExtraneousTargetFromAnUntrustedDelegationIsIgnored) {
  // A delegated role trusted only for apps/* lists fw-extra.bin: that entry carries no trust.
  ASSERT_TRUE(image->add_delegation("targets", "apps", {"apps/*"}));
  image->add_target("fw-extra.bin", "extra", Json::object(), "apps");
  assign("fw-extra.bin", "extra", "ecu-2", "board-a");
  publish();
  auto r = fetch({}, "ecu-2", "board-a", {"--ecu-serial", "ecu-1", "--hardware-id", "board-a"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("error: DirectorImageMismatch: "), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "out/fw-extra.bin"));
}

TEST_P(UptaneFetch, EndlessDirectorTargetsStopAtTheBound) {
  ASSERT_EQ(fetch().exit_code, 0);
  const auto before = store_bytes();
  director->bump("targets");  // listed as new (full TUF: by a new timestamp and snapshot)
  publish();
  test::write_bytes(dir / "director/targets.json", test::random_bytes(6'000'000, 5));
  expect_refused("TooLarge", before);
}

TEST_P(UptaneFetch, SlowImageTimestampIsAbandoned) {
  ASSERT_EQ(fetch().exit_code, 0);
  const auto before = store_bytes();
  image->bump("timestamp");
  publish();
  // The server stalls after a few bytes: the transfer is dropped after the low-speed time.
  image_server->set_fault(
      {.fault = test::HttpFault::Stall, .truncate_after = 10, .only_path = "/timestamp.json"});
  auto r = fetch({}, "ecu-1", "board-a", {"--min-rate", "65536", "--low-speed-time", "1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("error: SlowRetrieval: "), std::string::npos) << r.err;
  EXPECT_EQ(store_bytes(), before);
}

TEST_P(UptaneFetch, FrozenImageMetadataIsRefused) {
  ASSERT_EQ(fetch().exit_code, 0);
  const auto before = store_bytes();
  auto r = fetch({"faketime", "-f", "+400d"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("error: ExpiredMetadata: "), std::string::npos) << r.err;
  EXPECT_EQ(store_bytes(), before);
}

TEST_P(UptaneFetch, MixAndMatchImageSnapshotIsRefused) {
  ASSERT_EQ(fetch().exit_code, 0);
  const auto before = store_bytes();
  image->add_target("other.bin", "other");
  publish();
  const auto v = image->version("snapshot");
  auto snap = tuf::Json::parse(
      std::string(reinterpret_cast<const char*>(
                      test::read_bytes(dir / "image" / fmt::format("{}.snapshot.json", v)).data()),
                  std::filesystem::file_size(dir / "image" / fmt::format("{}.snapshot.json", v))));
  snap["signed"]["expires"] = "2031-01-02T00:00:00Z";  // same length, other bytes
  test::write_bytes(dir / "image" / fmt::format("{}.snapshot.json", v),
                    test::as_bytes(snap.dump(1)));
  expect_refused("HashMismatch", before);
}

TEST_P(UptaneFetch, ImageKeyCompromiseBelowThresholdIsRefused) {
  ASSERT_TRUE(
      image->add_key("timestamp", tuf::PrivateKey::generate(tuf::KeyType::Ed25519).value()));
  image->set_threshold("timestamp", 2);
  image->bump("root");
  publish();
  ASSERT_EQ(fetch().exit_code, 0);
  const auto before = store_bytes();
  // One of the two timestamp keys is stolen: a timestamp signed by it alone is not enough.
  image->bump("timestamp");
  const tuf::PrivateKey& stolen = image->keys("timestamp").front();
  test::write_bytes(dir / "image/timestamp.json",
                    test::as_bytes(image->sign("timestamp", {&stolen}).value()));
  expect_refused("ThresholdNotMet", before);
}

TEST_P(UptaneFetch, DirectorMayNotDelegate) {
  ASSERT_EQ(fetch().exit_code, 0);
  const auto before = store_bytes();
  ASSERT_TRUE(director->add_delegation("targets", "sub", {"*"}));
  publish();
  expect_refused("BadMetadata", before);
}

TEST_P(UptaneFetch, DirectorSignedByAnAttackerIsRefused) {
  ASSERT_EQ(fetch().exit_code, 0);
  const auto before = store_bytes();
  auto attacker = tuf::PrivateKey::generate(tuf::KeyType::Ed25519).value();
  director->bump("targets");
  publish();  // listed as new (full TUF: by a new timestamp and snapshot)
  test::write_bytes(dir / "director/targets.json",
                    test::as_bytes(director->sign("targets", {&attacker}).value()));
  expect_refused("ThresholdNotMet", before);
}

TEST_P(UptaneFetch, ClockSetBackwardsUsesTheTimeFloor) {
  ASSERT_EQ(fetch().exit_code, 0);
  // A device without a battery-backed clock boots at the epoch: not frozen out.
  auto r = fetch({"faketime", "1970-01-02 00:00:00"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("before the last trusted time"), std::string::npos) << r.err;
}

TEST_P(UptaneFetch, TheTimeFloorIsTheLastTrustedTime) {
  auto future = fetch({"faketime", "-f", "+400d"});  // a year on, the metadata expired
  EXPECT_EQ(future.exit_code, 1);
  EXPECT_NE(future.err.find("error: ExpiredMetadata: "), std::string::npos) << future.err;
  // Nothing was trusted then, so the floor did not move and today works.
  ASSERT_EQ(fetch().exit_code, 0);
  director->set_expires("targets", static_cast<tuf::Seconds>(::time(nullptr)) + 3600);
  director->bump("targets");
  publish();
  ASSERT_EQ(fetch().exit_code, 0);
  auto later = fetch({"faketime", "-f", "+2h"});
  EXPECT_EQ(later.exit_code, 1);
  EXPECT_NE(later.err.find("error: ExpiredMetadata: director repository targets"),
            std::string::npos)
      << later.err;
  // A clock set back a day reads as the last trusted time, not as yesterday.
  auto back = fetch({"faketime", "-f", "-1d"});
  EXPECT_EQ(back.exit_code, 0) << back.err;
  EXPECT_NE(back.err.find("before the last trusted time"), std::string::npos) << back.err;
}

TEST(UptaneVerification, ReleaseCounterMayNotGoDown) {
  test::TempDir dir;
  const auto now = static_cast<tuf::Seconds>(::time(nullptr));
  auto image = TufRepository::create(now).value();
  image.add_target("fw.bin", "v1", Json{{"releaseCounter", 1}});
  ASSERT_TRUE(image.publish(dir / "image"));
  test::HttpServer server(dir / "image");
  auto director =
      TufRepository::create(now, tuf::KeyType::Ed25519, false, tuf::Layout::TargetsOnly).value();
  director.add_target("fw.bin", "v1",
                      Json{{"ecuIdentifiers", Json{{"ecu-1", Json{{"hardwareId", "hw"}}}}}});
  class MapStore final : public tuf::MetadataStore {
   public:
    std::map<std::string, std::string> m;
    Result<std::optional<std::string>> load(std::string_view r) override {
      auto it = m.find(std::string(r));
      return it == m.end() ? std::optional<std::string>() : std::optional<std::string>(it->second);
    }
    Status store(std::string_view r, std::string_view b) override {
      m[std::string(r)] = b;
      return {};
    }
  } store;
  store.m["root"] = image.root_bytes(1);
  tuf::HttpFetcher fetcher(server.url(""), {});
  tuf::Updater updater(store, fetcher, {});
  ASSERT_TRUE(updater.refresh());
  auto env = tuf::parse_envelope(director.sign("targets").value(), "director", 1 << 20).value();
  const auto targets = tuf::parse_targets(env, "director").value();
  EXPECT_TRUE(verify_director_targets(targets, updater, {{"ecu-1", "hw"}}, {{"ecu-1", 1}}));
  auto r = verify_director_targets(targets, updater, {{"ecu-1", "hw"}}, {{"ecu-1", 2}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::ReleaseCounterRollback);
  EXPECT_NE(r.error().message().find("release counter 1 is below the 2 installed"),
            std::string::npos);
}

// One key listed under two key IDs meets no threshold of 2 (tough GHSA-5q2r-92f9-4m49), in
// either repository: a root v2 lists the targets key twice, the targets carry its signature twice.
TEST_P(UptaneFetch, OneKeyUnderTwoKeyIdsMeetsNoThresholdInEitherRepository) {
  ASSERT_EQ(fetch().exit_code, 0);
  const auto before = store_bytes();
  const auto list_twice = [](TufRepository& repo, const std::filesystem::path& d,
                             const std::string& targets_file) {
    repo.bump("root");
    Json& root = repo.signed_part("root");
    const auto& key = repo.keys("targets").front().public_key();
    const auto alias = test::list_key_twice(root["keys"], root["roles"]["targets"], key);
    test::write_bytes(d / "2.root.json", test::as_bytes(repo.sign("root").value()));
    const auto t = test::read_bytes(d / targets_file);
    test::write_bytes(d / targets_file,
                      test::as_bytes(test::sign_twice(
                          std::string(reinterpret_cast<const char*>(t.data()), t.size()),
                          tuf::key_id_in(repo.dialect(), key), alias)));
  };
  std::filesystem::copy(dir / "director", dir / "director-good",
                        std::filesystem::copy_options::recursive);
  list_twice(*director, dir / "director", "targets.json");
  expect_refused("ThresholdNotMet", before);

  std::filesystem::remove_all(dir / "director");
  std::filesystem::rename(dir / "director-good", dir / "director");
  list_twice(*image, dir / "image", fmt::format("{}.targets.json", image->version("targets")));
  expect_refused("ThresholdNotMet", before);
}

INSTANTIATE_TEST_SUITE_P(Layouts, UptaneFetch, every_variant(), variant_name);

}  // namespace
}  // namespace ratchet::uptane
