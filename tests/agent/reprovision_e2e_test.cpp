// The field report of seed 000, end to end with the real binary, a real swtpm and real HTTP: a
// device climbs through many Director versions, is re-provisioned, the backend restarts its
// numbering at 1 and every ECU still updates; metadata from before is refused, and so is a store
// deleted or restored behind the agent's back.
#include <gtest/gtest.h>

#include "agent/provisioning/provisioning_record.hpp"
#include "common/file.hpp"
#include "repo/tuf_repository.hpp"
#include "tests/support/anchor_backend.hpp"
#include "tests/support/data.hpp"
#include "tests/support/http_server.hpp"
#include "tests/support/process.hpp"

namespace ratchet::provisioning {
namespace {

using test::AnchorKind;
using tuf::Json;
using tuf::TufRepository;

class ReprovisionE2E : public ::testing::TestWithParam<AnchorKind> {
 protected:
  test::TempDir dir;
  std::unique_ptr<test::AnchorBackend> backend;
  std::optional<TufRepository> director, image;
  std::unique_ptr<test::HttpServer> director_server, image_server;
  tuf::PrivateKey provisioning_key = tuf::PrivateKey::generate(tuf::KeyType::Ed25519).value();
  tuf::Seconds now = static_cast<tuf::Seconds>(::time(nullptr));
  std::uint64_t generation = 0;

  void SetUp() override {
    if (!test::AnchorBackend::available(GetParam())) GTEST_SKIP() << "swtpm is not installed";
    backend = std::make_unique<test::AnchorBackend>(GetParam(), dir / "anchor");
    director =
        TufRepository::create(now, tuf::KeyType::Ed25519, false, tuf::Layout::TargetsOnly).value();
    image = TufRepository::create(now).value();
    for (const char* ecu : {"ecu-1", "ecu-2"})
      image->add_target(std::string(ecu) + "-v0.bin", std::string(ecu) + " firmware v0",
                        Json{{"hardwareIds", Json::array({"board-a"})}});
    publish();
    director_server = std::make_unique<test::HttpServer>(dir / "director");
    image_server = std::make_unique<test::HttpServer>(dir / "image");
    write("director-root.json", director->root_bytes(1));
    write("image-root.json", image->root_bytes(1));
    write("provisioning-keys.json", provisioning_keys_json({provisioning_key.public_key()}, 1));

    auto r = ratchet({"provision", "--device-id", "dev-1", "--director-root",
                      (dir / "director-root.json").string(), "--image-root",
                      (dir / "image-root.json").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    generation = Json::parse(r.out).at("provisioning_generation").get<std::uint64_t>();
  }

  void write(const std::string& name, const std::string& text) {
    ASSERT_TRUE(write_file_atomic(dir / name, text));
  }

  void publish() {
    ASSERT_TRUE(director->publish(dir / "director"));
    ASSERT_TRUE(image->publish(dir / "image"));
  }

  // A new image for `ecu` at `version`, assigned by the Director (its targets version moves).
  void release(const std::string& ecu, int version) {
    const std::string name = fmt::format("{}-v{}.bin", ecu, version);
    const std::string content = fmt::format("{} firmware v{}", ecu, version);
    image->add_target(name, content, Json{{"hardwareIds", Json::array({"board-a"})}});
    director->signed_part("targets")["targets"] = Json::object();
    director->add_target(name, content,
                         Json{{"ecuIdentifiers", Json{{ecu, Json{{"hardwareId", "board-a"}}}}}});
    director->bump("targets");
    publish();
  }

  test::ProcessResult ratchet(std::vector<std::string> args) {
    args.insert(args.begin(), RATCHET_BINARY);
    for (const std::string& a : {std::string("--storage-dir"), (dir / "state").string()})
      args.push_back(a);
    for (const auto& a : backend->cli_args())
      args.push_back(a);
    return test::run_process(args);
  }

  test::ProcessResult fetch(const std::string& ecu) {
    return ratchet({"fetch", "--director-url", director_server->url(""), "--image-url",
                    image_server->url(""), "--ecu-serial", ecu, "--hardware-id", "board-a",
                    "--target-dir", (dir / "out" / ecu).string()});
  }

  std::uint64_t director_floor() {
    auto r = ratchet({"status", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Json::parse(r.out).at("floors").at("director").at("targets").get<std::uint64_t>();
  }

  test::Bytes store_bytes() { return test::read_bytes(dir / "state/data.mdb"); }

  void expect_refused(const test::ProcessResult& r, int exit_code, const std::string& code) {
    EXPECT_EQ(r.exit_code, exit_code) << r.err;
    EXPECT_NE(r.err.find("error: " + code + ": "), std::string::npos) << r.err;
  }

  std::string record(std::uint64_t for_generation, const std::string& device = "dev-1") {
    ProvisioningRecord rec{device, for_generation, director->root_bytes(1),
                           image->root_bytes(image->version("root")), now};
    return sign_provisioning_record(rec, {&provisioning_key}).value();
  }
};

TEST_P(ReprovisionE2E, BackendRestartingAtVersionOneAfterARecordUpdatesEveryEcu) {
  // Many updates on the first lineage: the Director's versions climb.
  for (int v = 1; v <= 12; ++v) {
    const std::string ecu = v % 2 == 0 ? "ecu-2" : "ecu-1";
    release(ecu, v);
    auto r = fetch(ecu);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  EXPECT_EQ(director_floor(), 13U);
  std::filesystem::copy(dir / "director", dir / "old-director",
                        std::filesystem::copy_options::recursive);

  // The device is re-provisioned; the backend treats it as new and numbers from 1 again.
  director =
      TufRepository::create(now, tuf::KeyType::Ed25519, false, tuf::Layout::TargetsOnly).value();
  release("ecu-1", 20);
  ASSERT_EQ(director->version("targets"), 2U);           // far below the device's floor of 13
  expect_refused(fetch("ecu-1"), 1, "ThresholdNotMet");  // without a record: a foreign Director

  write("record.json", record(generation));
  auto r = ratchet({"reprovision", (dir / "record.json").string(), "--provisioning-keys",
                    (dir / "provisioning-keys.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out).at("provisioning_generation").get<std::uint64_t>(), generation + 1);

  // Every ECU updates on the new lineage.
  r = fetch("ecu-1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir / "out/ecu-1/ecu-1-v20.bin"));
  release("ecu-2", 21);
  r = fetch("ecu-2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir / "out/ecu-2/ecu-2-v21.bin"));
  EXPECT_EQ(director_floor(), 3U);

  // Metadata from before the re-provisioning is refused, and so is the record, again.
  const auto before = store_bytes();
  std::filesystem::remove_all(dir / "director");
  std::filesystem::rename(dir / "old-director", dir / "director");
  expect_refused(fetch("ecu-1"), 1, "ThresholdNotMet");
  expect_refused(ratchet({"reprovision", (dir / "record.json").string(), "--provisioning-keys",
                          (dir / "provisioning-keys.json").string()}),
                 30, "ProvisioningReplay");
  EXPECT_EQ(store_bytes(), before);
}

TEST_P(ReprovisionE2E, DeletedOrRestoredStoreIsRefusedNotTrustedOnFirstUse) {
  release("ecu-1", 1);
  ASSERT_EQ(fetch("ecu-1").exit_code, 0);
  std::filesystem::copy(dir / "state", dir / "old-state");
  std::filesystem::copy(dir / "director", dir / "old-director",
                        std::filesystem::copy_options::recursive);
  release("ecu-1", 2);
  ASSERT_EQ(fetch("ecu-1").exit_code, 0);

  // An old copy of the store, and the old metadata served with it: refused by the state check.
  std::filesystem::remove_all(dir / "state");
  std::filesystem::copy(dir / "old-state", dir / "state");
  std::filesystem::remove_all(dir / "director");
  std::filesystem::copy(dir / "old-director", dir / "director",
                        std::filesystem::copy_options::recursive);
  const auto restored = store_bytes();
  expect_refused(fetch("ecu-1"), 1, "StateRollback");
  expect_refused(ratchet({"status"}), 30, "StateRollback");
  EXPECT_EQ(store_bytes(), restored);

  // No store at all: no trust on first use of whatever the server offers.
  std::filesystem::remove_all(dir / "state");
  expect_refused(fetch("ecu-1"), 1, "StateMissing");
  EXPECT_FALSE(std::filesystem::exists(dir / "out/ecu-1/ecu-1-v1.bin.part"));
  auto r = ratchet({"status", "--json"});
  EXPECT_EQ(r.exit_code, 30);
  EXPECT_NE(r.out.find("StateMissing"), std::string::npos) << r.out;
}

INSTANTIATE_TEST_SUITE_P(Anchors, ReprovisionE2E,
                         ::testing::Values(AnchorKind::File, AnchorKind::Tpm),
                         test::anchor_kind_name);

}  // namespace
}  // namespace ratchet::provisioning
