// `ratchet boot ...` and `ratchet confirm` from the command line, on a file-backed U-Boot
// environment and an anchored store: the image's floors advance only when its slot is good.
#include <fstream>

#include <gtest/gtest.h>

#include "agent/provisioning/provisioning.hpp"
#include "agent/store/failed_targets.hpp"
#include "agent/store/installed_images.hpp"
#include "repo/tuf_repository.hpp"
#include "tests/support/anchor_backend.hpp"
#include "tests/support/process.hpp"
#include "tests/support/uboot_env_files.hpp"

namespace ratchet {
namespace {

using tuf::Json;

class ConfirmCli : public ::testing::Test {
 protected:
  test::TempDir dir;
  test::UbootEnvFiles files{dir / "env"};
  test::AnchorBackend backend{test::AnchorKind::File, dir / "anchor"};

  void SetUp() override {
    const auto now = static_cast<tuf::Seconds>(::time(nullptr));
    auto anchor = backend.open();
    auto db = store::LmdbStore::open(dir / "state").value();
    ASSERT_TRUE(provisioning::provision(db, anchor,
                                        {"dev-1", tuf::TufRepository::create(now)->root_bytes(1),
                                         tuf::TufRepository::create(now)->root_bytes(1)}));
    ASSERT_EQ(ratchet({"boot", "mark-good"}).exit_code, 0);  // the factory: slot a, good
    booted("a");
  }

  std::vector<std::string> env_args() {
    return {"--fw-env-config",       files.config.string(), "--env-defaults",
            files.defaults.string(), "--cmdline",           (dir / "cmdline").string()};
  }
  test::ProcessResult ratchet(std::vector<std::string> args) {
    args.insert(args.begin(), RATCHET_BINARY);
    const auto extra = env_args();
    // Environment options belong to `boot` (before its sub-command) and to `confirm`.
    args.insert(args.begin() + 2, extra.begin(), extra.end());
    return test::run_process(args);
  }
  void booted(const std::string& slot) {
    std::ofstream(dir / "cmdline") << "ratchet.slot=" << slot;
  }

  // What an install records before arming the trial boot.
  void install_trial(const std::string& slot, std::uint64_t release, std::uint64_t svn) {
    auto anchor = backend.open();
    auto db = store::LmdbStore::open(dir / "state").value();
    auto s = store::AnchoredStore::open(db, anchor.anchor()).value();
    store::InstalledImage image{
        "rootfs-" + std::to_string(release) + ".img", "00", 1, release, svn, slot};
    ASSERT_TRUE(
        s.commit({.puts = {{store::trial_key("primary"), image.to_json().dump()}}, .erases = {}}));
  }
  std::optional<store::InstalledImage> installed() {
    auto db = store::LmdbStore::open(dir / "state").value();
    return store::installed_image(db, "primary").value();
  }
  std::optional<store::FailedTarget> failed() {
    auto db = store::LmdbStore::open(dir / "state").value();
    return store::failed_target(db, "primary").value();
  }
  bool has_trial() {
    auto db = store::LmdbStore::open(dir / "state").value();
    return db.get(store::trial_key("primary")).value().has_value();
  }
  std::uint64_t svn_floor() {
    auto db = store::LmdbStore::open(dir / "state").value();
    return store::security_version_floor(db).value();
  }
  Json boot_status() {
    auto r = ratchet({"boot", "status", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Json::parse(r.out);
  }
  test::ProcessResult confirm(const std::string& check) {
    return ratchet({"confirm", "--check", check, "--no-reboot", "--storage-dir",
                    (dir / "state").string(), "--anchor-dir", (dir / "anchor").string()});
  }
};

TEST_F(ConfirmCli, GoodTrialAdvancesTheImageFloors) {
  install_trial("b", 5, 7);
  ASSERT_EQ(ratchet({"boot", "set-next", "b"}).exit_code, 0);
  auto st = boot_status();
  EXPECT_EQ(st.at("next"), "b");
  EXPECT_EQ(st.at("trial"), true);
  EXPECT_EQ(st.at("tries_left"), 3);
  EXPECT_EQ(st.at("slots").at("b"), "trial");  // until it proves itself
  EXPECT_FALSE(installed().has_value());
  // The environment options work after the verb too, as every other command takes them.
  auto after = test::run_process({RATCHET_BINARY, "boot", "status", "--json", "--fw-env-config",
                                  files.config.string(), "--cmdline", (dir / "cmdline").string()});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_EQ(Json::parse(after.out).at("slots").at("b"), "trial");

  booted("b");
  auto r = confirm("true");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  st = boot_status();
  EXPECT_EQ(st.at("slots").at("b"), "good");
  EXPECT_EQ(st.at("trial"), false);
  ASSERT_TRUE(installed().has_value());
  EXPECT_EQ(installed()->release_counter, 5U);
  EXPECT_EQ(svn_floor(), 7U);
}

TEST_F(ConfirmCli, BadTrialFallsBackAndLeavesTheFloors) {
  install_trial("b", 5, 7);
  ASSERT_EQ(ratchet({"boot", "set-next", "b"}).exit_code, 0);
  booted("b");
  auto r = confirm("false");
  EXPECT_EQ(r.exit_code, 10) << r.err;  // marked bad; reboot needed
  EXPECT_NE(r.err.find("error: HealthCheckFailed: "), std::string::npos) << r.err;
  auto st = boot_status();
  EXPECT_EQ(st.at("next"), "a");
  EXPECT_EQ(st.at("slots").at("b"), "bad");
  EXPECT_FALSE(installed().has_value());
  EXPECT_EQ(svn_floor(), 0U);
  // The trial is dropped and its target recorded as failed, in the same commit.
  EXPECT_FALSE(has_trial());
  ASSERT_TRUE(failed().has_value());
  EXPECT_EQ(failed()->name, "rootfs-5.img");
  EXPECT_TRUE(failed()->reason.starts_with("HealthCheckFailed: ")) << failed()->reason;

  // Back on slot a: the failed trial is dropped, never promoted.
  booted("a");
  r = confirm("true");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(installed().has_value());
  EXPECT_EQ(svn_floor(), 0U);
}

// The bootloader fell back (the trial ran out of attempts, or a watchdog reset), so the confirm
// after the reboot finds no trial armed and the trial slot bad: the trial is dropped and recorded.
TEST_F(ConfirmCli, FallbackFoundByConfirmRecordsTheTrialAsFailed) {
  install_trial("b", 5, 7);
  ASSERT_EQ(ratchet({"boot", "set-next", "b"}).exit_code, 0);
  ASSERT_EQ(ratchet({"boot", "mark-bad"}).exit_code, 0);  // what boot.cmd stores on fallback
  booted("a");
  auto r = confirm("true");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(has_trial());
  EXPECT_FALSE(installed().has_value());
  EXPECT_EQ(svn_floor(), 0U);
  ASSERT_TRUE(failed().has_value());
  EXPECT_EQ(failed()->name, "rootfs-5.img");
  EXPECT_TRUE(failed()->reason.starts_with("fallback: ")) << failed()->reason;

  // The next confirm (every boot runs one) keeps the record as it is.
  const auto before = failed()->to_json();
  r = confirm("true");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(failed().has_value());
  EXPECT_EQ(failed()->to_json(), before);
}

TEST_F(ConfirmCli, BootCommandsReportBadEnvironments) {
  auto r = test::run_process(
      {RATCHET_BINARY, "boot", "--fw-env-config", (dir / "missing.config").string(), "status"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("error: BadConfig: "), std::string::npos) << r.err;
  r = ratchet({"boot", "set-next", "c"});
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace ratchet
