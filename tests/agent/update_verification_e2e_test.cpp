// `ratchet update` end to end against what a repository may write differently: the release
// counter under either spelling (the rollback floor holds for both), and the Director's layout
// (full TUF or targets-only), pinned by the trusted Director root from provisioning on.
#include <fstream>

#include <gtest/gtest.h>

#include "tests/agent/update_e2e_fixture.hpp"

namespace ratchet::update {
namespace {

class ReleaseCounterE2E : public UpdateE2E, public ::testing::WithParamInterface<const char*> {
 protected:
  const test::Bytes old_image = test::random_bytes(3u << 20, 3);

  // The custom fields of a release at `counter` under the parameter's spelling only, security
  // version 0.
  static Json spelled(int counter) {
    Json patch{{"ratchet", {{"securityVersion", 0}}}};
    if (std::string_view(GetParam()) != "releaseCounter") patch["releaseCounter"] = nullptr;
    patch[GetParam()] = counter;
    return patch;
  }
  // v2 at release counter 5, under the parameter's spelling, installed, booted and confirmed.
  // Security versions stay 0, so that only the release counter can stop an older image.
  void install_and_confirm_v2() {
    release("rootfs-v2.img", v2, 5, "board-a", spelled(5));
    assign("rootfs-v2.img", v2, "primary");
    publish();
    expect_exit(update(), 10);
    std::ofstream(dir / "cmdline") << "ratchet.slot=b\n";  // the reboot into b
    expect_exit(ratchet({"confirm", "--fw-env-config", env_files.config.string(), "--cmdline",
                         (dir / "cmdline").string(), "--check", "true", "--storage-dir",
                         (dir / "state").string(), "--anchor-dir", (dir / "anchor").string()}),
                0);
    ASSERT_EQ(json_of("status").at("ecus").at("primary").at("installed").at("release_counter"), 5)
        << json_of("status").dump();
  }
  // The Director now assigns `name` instead of v2.
  void reassign(const std::string& name, const test::Bytes& content) {
    director->signed_part("targets")["targets"].erase("rootfs-v2.img");
    assign(name, content, "primary");
    publish();
  }
};

// A compromised Director assigns an older image the Image repository still signs: refused with
// exit 30, and the slot, the environment and the store's ECU records stay as they were.
TEST_P(ReleaseCounterE2E, AnOlderReleaseIsRefusedUnderEitherSpelling) {
  install_and_confirm_v2();
  release("rootfs-v1.img", old_image, 3, "board-a", spelled(3));
  reassign("rootfs-v1.img", old_image);
  const auto slot_a = test::read_bytes(dir / "slot_a.img");
  const auto env0 = test::read_bytes(env_files.copy0), env1 = test::read_bytes(env_files.copy1);
  const Json ecu = json_of("status").at("ecus").at("primary");

  const auto r = update();
  expect_exit(r, 30, "ReleaseCounterRollback");
  EXPECT_NE(r.err.find("image target rootfs-v1.img: release counter 3 is below the 5 installed "
                       "on ECU primary"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(test::read_bytes(dir / "slot_a.img"), slot_a);
  EXPECT_EQ(test::read_bytes(env_files.copy0), env0);
  EXPECT_EQ(test::read_bytes(env_files.copy1), env1);
  EXPECT_EQ(json_of("status").at("ecus").at("primary"), ecu);
  EXPECT_FALSE(trial().has_value());
}

INSTANTIATE_TEST_SUITE_P(Spellings, ReleaseCounterE2E,
                         ::testing::Values("releaseCounter", "release_counter"));

// Both spellings with different values: which one counts would be up to the reader. Refused
// (BadMetadata naming the target and both fields) before anything is downloaded or written.
TEST_F(UpdateE2E, TwoReleaseCountersThatDisagreeAreRefused) {
  release("rootfs-v2.img", v2, 5, "board-a", Json{{"release_counter", 1}});
  assign("rootfs-v2.img", v2, "primary");
  publish();
  const auto slot_b = test::read_bytes(dir / "slot_b.img");
  const auto env0 = test::read_bytes(env_files.copy0);
  const auto r = update();
  expect_exit(r, 30, "BadMetadata");
  EXPECT_NE(r.err.find("image target rootfs-v2.img: custom.releaseCounter is 5 but "
                       "custom.release_counter is 1"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(test::read_bytes(dir / "slot_b.img"), slot_b);
  EXPECT_EQ(test::read_bytes(env_files.copy0), env0);
  EXPECT_FALSE(trial().has_value());
}

// A Director whose provisioned root lists timestamp and snapshot roles.
class FullTufDirectorE2E : public UpdateE2E {
 protected:
  FullTufDirectorE2E() { director_layout = tuf::Layout::Full; }

  // The Director answers as a targets-only one would: no timestamp, no snapshot.
  void serve_targets_only() {
    std::filesystem::remove(dir / "director/timestamp.json");
    std::filesystem::remove(dir / "director/snapshot.json");
  }
  // Everything the anchored state protects, and its seal.
  std::map<std::string, std::string> protected_state() {
    auto db = store::LmdbStore::open(dir / "state").value();
    auto entries = db.scan("trusted/").value();
    entries.merge(db.scan("ecu/").value());
    entries.merge(db.scan("time/").value());
    entries["state/current"] = db.get("state/current").value().value_or("");
    return entries;
  }
  void expect_layout_downgrade_refused() {
    const auto before = protected_state();
    const auto env0 = test::read_bytes(env_files.copy0), env1 = test::read_bytes(env_files.copy1);
    const auto slot_b = test::read_bytes(dir / "slot_b.img");
    const auto r = update();
    expect_exit(r, 30, "BadMetadata");
    EXPECT_NE(r.err.find("director repository: timestamp.json is not served, but the trusted root "
                         "v1 lists timestamp and snapshot roles"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(protected_state(), before);
    EXPECT_EQ(test::read_bytes(env_files.copy0), env0);
    EXPECT_EQ(test::read_bytes(env_files.copy1), env1);
    EXPECT_EQ(test::read_bytes(dir / "slot_b.img"), slot_b);
  }
};

// The Director served timestamp and snapshot once; later it serves targets only (a compromised
// Director dropping the roles whose keys it does not hold). Refused, not taken as targets-only,
// and again by the next run (a new process: the layout survives restarts).
TEST_F(FullTufDirectorE2E, ATimestampThatDisappearsIsRefusedNotTakenAsTargetsOnly) {
  assign("rootfs-v2.img", v2, "primary");
  publish();
  expect_exit(update(), 10);
  ASSERT_TRUE(protected_state().contains("trusted/director/timestamp"));
  director->bump("targets");
  publish();
  serve_targets_only();
  expect_layout_downgrade_refused();
  expect_layout_downgrade_refused();
}

// The layout is the provisioned root's, before any timestamp was ever seen: a device whose first
// contact is a targets-only answer does not learn targets-only from it.
TEST_F(FullTufDirectorE2E, TheProvisionedRootPinsTheLayoutBeforeAnyTimestampWasSeen) {
  assign("rootfs-v2.img", v2, "primary");
  publish();
  serve_targets_only();
  expect_layout_downgrade_refused();
  EXPECT_FALSE(trial().has_value());
}

// Only a root rotation that drops the roles (signed by the trusted root keys) makes it
// targets-only.
TEST_F(FullTufDirectorE2E, ARootRotationChangesTheLayout) {
  assign("rootfs-v2.img", v2, "primary");
  publish();
  expect_exit(update(), 10);
  Json& roles = director->signed_part("root")["roles"];
  roles.erase("timestamp");
  roles.erase("snapshot");
  director->bump("root");
  publish();
  serve_targets_only();
  expect_exit(update(), 10);  // v2 still waits for its reboot
  const auto root = Json::parse(protected_state().at("trusted/director/root"));
  EXPECT_EQ(root.at("signed").at("version"), 2);
  EXPECT_EQ(root.at("signed").at("roles").size(), 2U);
}

}  // namespace
}  // namespace ratchet::update
