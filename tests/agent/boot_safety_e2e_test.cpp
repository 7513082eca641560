// Boot safety with the binary: `ratchet confirm` vouches only for the slot it knows runs, and
// `ratchet update` never writes the running slot (or one the environment would boot) whatever
// the environment claims; a slot path must exist and is never reached through a link to a file.
// Every refusal leaves the environment, both slots and the trusted state as they were.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/agent/update_e2e_fixture.hpp"

namespace ratchet::update {
namespace {

class BootSafetyE2E : public UpdateE2E {
 protected:
  // Everything a refusal must leave byte-identical.
  struct Snapshot {
    test::Bytes env0, env1, slot_a, slot_b;
    bool operator==(const Snapshot&) const = default;
  };
  Snapshot snapshot() {
    return {test::read_bytes(env_files.copy0), test::read_bytes(env_files.copy1),
            test::read_bytes(dir / "slot_a.img"), test::read_bytes(dir / "slot_b.img")};
  }
  void kernel_cmdline(const std::string& text) { std::ofstream(dir / "cmdline") << text << "\n"; }
  std::string config() const { return (dir / "ratchet.toml").string(); }
  test::ProcessResult confirm() {
    return ratchet({"confirm", "--config", config(), "--check", "true", "--no-reboot"});
  }
  Json status_json() {
    auto r = ratchet({"boot", "--config", config(), "status", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Json::parse(r.out);
  }
  std::optional<store::InstalledImage> installed() {
    auto db = store::LmdbStore::open(dir / "state").value();
    return store::installed_image(db, "primary").value();
  }
  bool image_requested() {
    for (const auto& r : image_server->requests())
      if (r.target.find("rootfs-") != std::string::npos) return true;
    return false;
  }
  std::size_t env_files_size() { return test::read_bytes(env_files.copy0).size(); }
  void expect_error_names(const test::ProcessResult& r, const std::string& text) {
    EXPECT_NE(r.err.find(text), std::string::npos) << r.err;
  }
};

TEST_F(BootSafetyE2E, ConfirmRefusesWhenTheRunningSlotIsUnknown) {
  assign("rootfs-v2.img", v2, "primary");
  publish();
  expect_exit(update(), 10);              // trial of b armed
  kernel_cmdline("console=ttyS0 quiet");  // a bootloader that passes nothing we can match
  const auto before = snapshot();
  auto r = confirm();
  expect_exit(r, 40, "BootedSlotUnknown");
  expect_error_names(r, "no ratchet.slot= or rauc.slot=");
  EXPECT_TRUE(snapshot() == before);  // nothing marked
  EXPECT_TRUE(trial().has_value());   // no floor advanced
  EXPECT_FALSE(installed().has_value());

  auto text = ratchet({"boot", "--config", config(), "status"});
  EXPECT_NE(text.out.find("booted:            unknown (no ratchet.slot="), std::string::npos)
      << text.out;
  const auto st = status_json();
  EXPECT_EQ(st.at("booted"), "unknown");
  EXPECT_NE(st.at("booted_by").get<std::string>().find("is neither slot"), std::string::npos);

  // root= naming the slot device (here the slot file itself) is enough to know.
  kernel_cmdline("console=ttyS0 root=" + (dir / "slot_b.img").string() + " rootwait");
  expect_exit(confirm(), 0);
  EXPECT_EQ(status_json().at("slots").at("b"), "good");
  ASSERT_TRUE(installed().has_value());
  EXPECT_EQ(installed()->name, "rootfs-v2.img");
}

TEST_F(BootSafetyE2E, ConfirmDoesNotPromoteASlotThatDoesNotRun) {
  assign("rootfs-v2.img", v2, "primary");
  publish();
  expect_exit(update(), 10);
  kernel_cmdline("rauc.slot=B");                                         // RAUC's bootname: b runs
  expect_exit(ratchet({"boot", "--config", config(), "mark-good"}), 0);  // by hand, not confirm
  EXPECT_EQ(status_json().at("booted"), "b");
  kernel_cmdline("ratchet.slot=a");  // but a runs: the environment is not what happened
  const auto before = snapshot();
  auto r = confirm();
  expect_exit(r, 40, "SlotMismatch");
  expect_error_names(r, "boots slot b next, but slot a is running");
  EXPECT_TRUE(snapshot() == before);
  EXPECT_TRUE(trial().has_value());
  EXPECT_FALSE(installed().has_value());
  EXPECT_NE(status_json().at("disagreement").get<std::string>().find("slot a is running"),
            std::string::npos);
}

TEST_F(BootSafetyE2E, UpdateRefusesWhenTheRunningSlotIsUnknown) {
  kernel_cmdline("quiet");
  assign("rootfs-v2.img", v2, "primary");
  publish();
  const auto before = snapshot();
  expect_exit(update({"--dry-run"}), 40, "BootedSlotUnknown");
  auto r = update();
  expect_exit(r, 40, "BootedSlotUnknown");
  expect_error_names(r, "refusing to write either slot");
  EXPECT_TRUE(snapshot() == before);
  EXPECT_FALSE(image_requested());
  EXPECT_FALSE(trial().has_value());
}

TEST_F(BootSafetyE2E, UpdateNeverWritesTheSlotTheEnvironmentWouldBoot) {
  // The environment says b (good, no trial), but a runs: writing b would leave the bootloader a
  // half-written slot at the next power cut.
  ASSERT_EQ(ratchet({"boot", "--config", config(), "set-next", "b"}).exit_code, 0);
  ASSERT_EQ(ratchet({"boot", "--config", config(), "mark-good"}).exit_code, 0);
  assign("rootfs-v2.img", v2, "primary");
  publish();
  const auto before = snapshot();
  auto r = update();
  expect_exit(r, 40, "SlotMismatch");
  expect_error_names(r, "boots slot b next, but slot a is running");
  EXPECT_TRUE(snapshot() == before);
  EXPECT_FALSE(image_requested());
}

TEST_F(BootSafetyE2E, UpdateNeverOverwritesTheFallbackOfAnUnconfirmedTrial) {
  assign("rootfs-v2.img", v2, "primary");
  publish();
  expect_exit(update(), 10);
  kernel_cmdline("ratchet.slot=b");  // rebooted into the trial, not confirmed yet
  const test::Bytes v3 = test::random_bytes(3u << 20, 3);
  release("rootfs-v3.img", v3, 3);
  unassign("rootfs-v2.img");
  assign("rootfs-v3.img", v3, "primary");
  publish();
  const auto before = snapshot();
  auto r = update();
  expect_exit(r, 40, "SlotMismatch");
  expect_error_names(r, "would destroy its fallback");
  EXPECT_TRUE(snapshot() == before);  // slot a, the fallback, is v1 still
}

TEST_F(BootSafetyE2E, ATypoedSlotPathIsBadConfigAndNothingIsCreated) {
  slot_b_dev = dir / "slot_bb.img";
  write_config();
  assign("rootfs-v2.img", v2, "primary");
  publish();
  const auto before = snapshot();
  auto r = update();
  expect_exit(r, 2, "BadConfig");
  expect_error_names(r, "ecu[0].slot_b (" + slot_b_dev.string() + ")");
  EXPECT_FALSE(std::filesystem::exists(slot_b_dev));
  EXPECT_TRUE(director_server->requests().empty());  // not a byte fetched
  EXPECT_TRUE(image_server->requests().empty());
  EXPECT_TRUE(snapshot() == before);
}

TEST_F(BootSafetyE2E, ASlotPathThatIsALinkToAFileIsRefused) {
  test::write_bytes(dir / "elsewhere.img", test::Bytes(1u << 20));
  std::filesystem::create_symlink(dir / "elsewhere.img", dir / "slot_link");
  slot_b_dev = dir / "slot_link";
  write_config();
  assign("rootfs-v2.img", v2, "primary");
  publish();
  auto r = update();
  expect_exit(r, 2, "BadConfig");
  expect_error_names(r, "ecu[0].slot_b");
  expect_error_names(r, "symbolic link to a regular file");
  EXPECT_EQ(test::read_bytes(dir / "elsewhere.img"), test::Bytes(1u << 20));
  EXPECT_TRUE(image_server->requests().empty());
}

// A blank environment (erased flash) with no env_defaults could never hold a trial: refused at
// the start, naming the setting, with nothing downloaded and nothing written.
TEST_F(BootSafetyE2E, ABlankEnvironmentWithoutDefaultsIsRefusedBeforeAnyDownload) {
  assign("rootfs-v2.img", v2, "primary");
  publish();
  test::write_bytes(env_files.copy0, test::Bytes(env_files_size(), std::byte{0xff}));
  test::write_bytes(env_files.copy1, test::Bytes(env_files_size(), std::byte{0xff}));
  std::ifstream in(dir / "ratchet.toml");
  std::stringstream text;
  text << in.rdbuf();
  std::string c = text.str();
  const std::string line = "env_defaults = \"" + env_files.defaults.string() + "\"\n";
  ASSERT_NE(c.find(line), std::string::npos);
  c.erase(c.find(line), line.size());
  std::ofstream(dir / "ratchet.toml") << c;
  const auto before = snapshot();
  // The dry run says so too, rather than "would install".
  expect_exit(update({"--dry-run"}), 40, "BootEnv");
  const auto r = update();
  expect_exit(r, 40, "BootEnv");
  expect_error_names(r, "set [boot] env_defaults");
  EXPECT_TRUE(snapshot() == before);
  EXPECT_FALSE(image_requested());
  EXPECT_FALSE(trial().has_value());
}

}  // namespace
}  // namespace ratchet::update
