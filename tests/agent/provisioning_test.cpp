// Factory enrollment and re-provisioning records, against both anchors: idempotent enrollment,
// records that work once on one device, and recovery of a lost or rolled-back store.
#include "agent/provisioning/provisioning.hpp"

#include <gtest/gtest.h>

#include "agent/store/anchored_store.hpp"
#include "agent/store/installed_images.hpp"
#include "repo/tuf_repository.hpp"
#include "tests/support/anchor_backend.hpp"
#include "tests/support/data.hpp"
#include "tests/support/key_twice.hpp"

namespace ratchet::provisioning {
namespace {

using test::AnchorKind;
using tpm::Counter;

class ProvisioningTest : public ::testing::TestWithParam<AnchorKind> {
 protected:
  test::TempDir dir;
  std::unique_ptr<test::AnchorBackend> backend;
  std::optional<DeviceAnchor> anchor;
  std::optional<tuf::TufRepository> director, image;
  tuf::PrivateKey provisioning_key = tuf::PrivateKey::generate(tuf::KeyType::Ed25519).value();
  ProvisioningKeys keys;
  tuf::Seconds now = static_cast<tuf::Seconds>(::time(nullptr));

  void SetUp() override {
    if (!test::AnchorBackend::available(GetParam())) GTEST_SKIP() << "swtpm is not installed";
    backend = std::make_unique<test::AnchorBackend>(GetParam(), dir / "anchor");
    anchor = backend->open();
    director = tuf::TufRepository::create(now).value();
    image = tuf::TufRepository::create(now).value();
    keys =
        parse_provisioning_keys(provisioning_keys_json({provisioning_key.public_key()}, 1), "keys")
            .value();
  }

  store::LmdbStore db() { return store::LmdbStore::open(dir / "state").value(); }
  test::Bytes store_bytes() { return test::read_bytes(dir / "state/data.mdb"); }

  Result<Enrollment> provision_device(const std::string& id = "dev-1") {
    auto d = db();
    return provision(d, *anchor, {id, director->root_bytes(1), image->root_bytes(1)});
  }

  std::string record_for(const std::string& id, std::uint64_t generation,
                         const tuf::PrivateKey* key = nullptr, std::uint64_t svn = 0) {
    ProvisioningRecord r{id, generation, director->root_bytes(1), image->root_bytes(1), now, svn};
    return sign_provisioning_record(r, {key != nullptr ? key : &provisioning_key}).value();
  }

  Result<Enrollment> apply(std::string record, const std::string& configured_id = "") {
    auto d = db();
    return reprovision(d, *anchor, std::move(record), keys, configured_id);
  }

  void expect_refused(Result<Enrollment> r, Code code, const std::string& words) {
    ASSERT_FALSE(r) << "accepted";
    EXPECT_EQ(r.error().code(), code) << r.error().message();
    EXPECT_NE(r.error().message().find(words), std::string::npos) << r.error().message();
  }
};

TEST_P(ProvisioningTest, EnrollmentIsIdempotent) {
  const auto first = provision_device().value();
  EXPECT_TRUE(first.changed);
  EXPECT_EQ(first.device_id, "dev-1");
  EXPECT_EQ(first.hardware_anchored, GetParam() == AnchorKind::Tpm);
  EXPECT_EQ(first.signing_key_in_tpm, GetParam() == AnchorKind::Tpm);
  EXPECT_EQ(first.generation, anchor->counters->read(Counter::ProvisioningGeneration).value());
  const auto bytes = store_bytes();
  const auto epoch = anchor->counters->read(Counter::Epoch).value();

  const auto again = provision_device().value();
  EXPECT_FALSE(again.changed);
  EXPECT_EQ(again.ecu_public_pem, first.ecu_public_pem);
  EXPECT_EQ(again.generation, first.generation);
  EXPECT_EQ(store_bytes(), bytes);
  EXPECT_EQ(anchor->counters->read(Counter::Epoch).value(), epoch);
  const auto json = enrollment_json(again).value();
  EXPECT_NE(json.find("\"ecu_key_id\""), std::string::npos) << json;
  EXPECT_NE(json.find("ecdsa-sha2-nistp256"), std::string::npos) << json;
}

TEST_P(ProvisioningTest, EnrollingAsAnotherDeviceIsRefused) {
  ASSERT_TRUE(provision_device("dev-1"));
  const auto bytes = store_bytes();
  expect_refused(provision_device("dev-2"), Code::WrongDevice, "already provisioned as 'dev-1'");
  EXPECT_EQ(store_bytes(), bytes);
}

TEST_P(ProvisioningTest, WipedStoreIsNotReEnrolledWithoutARecord) {
  ASSERT_TRUE(provision_device());
  std::filesystem::remove_all(dir / "state");
  expect_refused(provision_device(), Code::StateMissing, "provisioning record");
}

TEST_P(ProvisioningTest, BadInitialRootIsRefusedBeforeAnythingIsDefined) {
  auto d = db();
  auto r = provision(d, *anchor, {"dev-1", "{\"signed\": {}}", image->root_bytes(1)});
  ASSERT_FALSE(r);
  EXPECT_EQ(anchor->counters->read(Counter::Epoch).error().code(), Code::NotProvisioned);
}

TEST_P(ProvisioningTest, RecordStartsANewLineageOnce) {
  const auto enrolled = provision_device().value();
  {
    // Floors from the first lineage, and an ECU's installed image (kept across lineages).
    auto d = db();
    auto s = store::AnchoredStore::open(d, anchor->anchor()).value();
    ASSERT_TRUE(s.commit({.puts = {{"trusted/director/targets", "director targets v40"},
                                   {"ecu/ecu-1/installed", "fw v9, release counter 9"}},
                          .erases = {}}));
  }
  director = tuf::TufRepository::create(now).value();  // the backend starts over
  const auto record = record_for("dev-1", enrolled.generation);
  const auto e = apply(record).value();
  EXPECT_EQ(e.generation, enrolled.generation + 1);
  auto d = db();
  ASSERT_TRUE(store::AnchoredStore::open(d, anchor->anchor()));
  EXPECT_FALSE(d.get("trusted/director/targets").value().has_value());
  EXPECT_EQ(tuf::Json::parse(d.get("trusted/director/root").value().value()),
            tuf::Json::parse(director->root_bytes(1)));
  EXPECT_EQ(d.get("ecu/ecu-1/installed").value(), "fw v9, release counter 9");
  d = store::LmdbStore();

  const auto bytes = store_bytes();
  expect_refused(apply(record), Code::ProvisioningReplay, "already used");
  EXPECT_EQ(store_bytes(), bytes);
}

TEST_P(ProvisioningTest, RecordForAnotherDeviceIsRefused) {
  const auto enrolled = provision_device().value();
  const auto bytes = store_bytes();
  expect_refused(apply(record_for("dev-2", enrolled.generation)), Code::WrongDevice,
                 "for device 'dev-2'");
  EXPECT_EQ(store_bytes(), bytes);
}

TEST_P(ProvisioningTest, RecordWithABadSignatureIsRefused) {
  const auto enrolled = provision_device().value();
  const auto bytes = store_bytes();
  const auto rogue = tuf::PrivateKey::generate(tuf::KeyType::Ed25519).value();
  expect_refused(apply(record_for("dev-1", enrolled.generation, &rogue)),
                 Code::BadProvisioningRecord, "provisioning record");
  // A signed record edited afterwards.
  auto edited = record_for("dev-1", enrolled.generation);
  edited.replace(edited.find("dev-1"), 5, "dev-9");
  expect_refused(apply(edited, "dev-9"), Code::BadProvisioningRecord, "provisioning record");
  // Uptane keys are not provisioning keys.
  expect_refused(apply(record_for("dev-1", enrolled.generation, &director->keys("root")[0])),
                 Code::BadProvisioningRecord, "provisioning record");
  EXPECT_EQ(store_bytes(), bytes);
}

TEST_P(ProvisioningTest, RecordForAFutureGenerationIsRefused) {
  const auto enrolled = provision_device().value();
  expect_refused(apply(record_for("dev-1", enrolled.generation + 1)), Code::BadProvisioningRecord,
                 "generation");
}

TEST_P(ProvisioningTest, RecordRecoversAWipedStore) {
  const auto enrolled = provision_device().value();
  std::filesystem::remove_all(dir / "state");
  const auto record = record_for("dev-1", enrolled.generation);
  expect_refused(apply(record), Code::StateMissing, "device ID");  // who am I?
  expect_refused(apply(record, "dev-2"), Code::WrongDevice, "for device 'dev-1'");
  const auto e = apply(record, "dev-1").value();
  EXPECT_EQ(e.generation, enrolled.generation + 1);
  EXPECT_EQ(e.ecu_public_pem, enrolled.ecu_public_pem);  // the ECU key is the device's, kept
  auto d = db();
  ASSERT_TRUE(store::AnchoredStore::open(d, anchor->anchor()));
}

TEST_P(ProvisioningTest, SecurityVersionFloorIsNeverLoweredByARecord) {
  const auto enrolled = provision_device().value();
  {
    auto d = db();
    auto s = store::AnchoredStore::open(d, anchor->anchor()).value();
    ASSERT_TRUE(s.commit({.puts = {{"device/security-version", "9"}}, .erases = {}}));
  }
  ASSERT_TRUE(apply(record_for("dev-1", enrolled.generation, nullptr, 4)));
  EXPECT_EQ(store::security_version_floor(db()).value(), 9U);  // kept: higher than the record's
  // A lost store recovers with the backend's floor.
  std::filesystem::remove_all(dir / "state");
  ASSERT_TRUE(apply(record_for("dev-1", enrolled.generation + 1, nullptr, 12), "dev-1"));
  EXPECT_EQ(store::security_version_floor(db()).value(), 12U);
}

TEST_P(ProvisioningTest, RecordRecoversARestoredStore) {
  const auto enrolled = provision_device().value();
  std::filesystem::copy(dir / "state", dir / "old");
  {
    auto d = db();
    auto s = store::AnchoredStore::open(d, anchor->anchor()).value();
    ASSERT_TRUE(s.commit({.puts = {{"trusted/director/targets", "v2"}}, .erases = {}}));
  }
  std::filesystem::remove_all(dir / "state");
  std::filesystem::copy(dir / "old", dir / "state");
  const auto e = apply(record_for("dev-1", enrolled.generation), "dev-1").value();
  EXPECT_EQ(e.generation, enrolled.generation + 1);
}

// One provisioning key listed under two key IDs (another spelling of it) is one key: provisioning
// keys asking for two are refused, and a record signed by it under both IDs is one signature.
TEST_P(ProvisioningTest, OneKeyUnderTwoKeyIdsIsOneProvisioningKey) {
  const auto& pub = provisioning_key.public_key();
  const auto again = tuf::PublicKey::from_json(test::respelled(pub), "respelled").value();
  ASSERT_NE(again.key_id(), pub.key_id());
  const std::string twice = tuf::Json{
      {"keys", {{pub.key_id(), pub.to_json()}, {again.key_id(), again.to_json()}}},
      {"threshold", 2}}.dump();
  const auto parsed = parse_provisioning_keys(twice, "provisioning-keys.json");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code(), Code::BadKey);
  EXPECT_NE(parsed.error().message().find("threshold 2 with 1 distinct keys (2 listed)"),
            std::string::npos)
      << parsed.error().message();

  const auto enrolled = provision_device().value();
  const auto bytes = store_bytes();
  keys.keys.emplace(again.key_id(), again);
  keys.role.keyids.push_back(again.key_id());
  keys.role.threshold = 2;
  const auto record =
      test::sign_twice(record_for("dev-1", enrolled.generation), pub.key_id(), again.key_id());
  expect_refused(apply(record), Code::BadProvisioningRecord, "1 of 2 required signatures");
  EXPECT_EQ(store_bytes(), bytes);
}

// A root (in a record, or at enrollment) whose root role lists its one key twice with threshold 2
// and carries its signature twice does not verify.
TEST_P(ProvisioningTest, RootWithOneKeyUnderTwoKeyIdsIsRefused) {
  const auto& key = director->keys("root").front().public_key();
  tuf::Json& root = director->signed_part("root");
  const auto alias = test::list_key_twice(root["keys"], root["roles"]["root"], key);
  const auto twice = test::sign_twice(director->sign("root").value(), key.key_id(), alias);
  auto d = db();
  const auto refused = provision(d, *anchor, {"dev-1", twice, image->root_bytes(1)});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Code::ThresholdNotMet) << refused.error().message();
  EXPECT_EQ(anchor->counters->read(Counter::Epoch).error().code(), Code::NotProvisioned);
  d = store::LmdbStore();

  const auto enrolled = provision_device().value();
  const auto bytes = store_bytes();
  ProvisioningRecord r{"dev-1", enrolled.generation, twice, image->root_bytes(1), now, 0};
  expect_refused(apply(sign_provisioning_record(r, {&provisioning_key}).value()),
                 Code::BadProvisioningRecord, "director_root: 1 of 2 required signatures");
  EXPECT_EQ(store_bytes(), bytes);
}

INSTANTIATE_TEST_SUITE_P(Anchors, ProvisioningTest,
                         ::testing::Values(AnchorKind::File, AnchorKind::Tpm),
                         test::anchor_kind_name);

}  // namespace
}  // namespace ratchet::provisioning
