// A failed update is not retried forever (issue 12, the mender#825 loop): a target whose trial
// failed (a health check in `ratchet confirm`, a bootloader fallback) or whose bytes were refused
// is recorded for its ECU in the anchored state; `ratchet update` then neither downloads nor arms
// it (exit 0, a log line naming it, no anchored commit) until the Director assigns another
// target or `--retry-failed` is given. End to end with the binary (update_e2e_fixture.hpp).
#include <fstream>

#include <gtest/gtest.h>

#include "agent/store/failed_targets.hpp"
#include "tests/agent/update_e2e_fixture.hpp"

namespace ratchet::update {
namespace {

class FailedTargetE2E : public UpdateE2E {
 protected:
  const test::Bytes v3 = test::random_bytes(3u << 20, 3);

  void booted(const std::string& slot) {
    std::ofstream(dir / "cmdline") << "ratchet.slot=" << slot;
  }
  test::ProcessResult confirm(const std::string& check) {
    return ratchet(
        {"confirm", "--config", (dir / "ratchet.toml").string(), "--check", check, "--no-reboot"});
  }
  std::uint64_t epoch() { return json_of("status").at("epoch").get<std::uint64_t>(); }
  // How many epoch increments a run makes that has nothing new to do (the metadata commit; none
  // once no-op commits are skipped): a run that skips a failed target may make no more.
  std::uint64_t no_op_increments() {
    expect_exit(update(), 0);
    const auto before = epoch();
    expect_exit(update(), 0);
    return epoch() - before;
  }
  // Requests for an image or its chunk list (not metadata) since the last clear.
  std::size_t image_requests(const std::string& name) {
    std::size_t n = 0;
    for (const auto& r : image_server->requests())
      if (r.target.find("/targets/") != std::string::npos &&
          r.target.find(name) != std::string::npos)
        ++n;
    return n;
  }
  Json status_failed() {
    const Json ecu = json_of("status").at("ecus").value("primary", Json::object());
    return ecu.value("failed", Json(nullptr));
  }
  Json manifest_custom() {
    auto r = ratchet({"manifest", "--config", (dir / "ratchet.toml").string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return verified_manifest(r.out)
        .at("ecu_version_manifests")
        .at("primary")
        .at("signed")
        .at("custom")
        .at("ratchet");
  }
  // The run that must skip `name`: exit 0, the log line, no image byte asked for, environment
  // and slots byte-identical, no more epoch increments than a no-op run.
  void expect_not_retried(const std::string& name, std::uint64_t no_op) {
    const auto env0 = test::read_bytes(env_files.copy0), env1 = test::read_bytes(env_files.copy1);
    const auto a = test::read_bytes(dir / "slot_a.img"), b = test::read_bytes(dir / "slot_b.img");
    const auto epoch0 = epoch();
    image_server->clear_requests();
    const auto r = update();
    expect_exit(r, 0);
    EXPECT_NE(r.err.find("ECU primary: target " + name + " failed on "), std::string::npos)
        << r.err;
    EXPECT_NE(
        r.err.find("; not retried until the Director assigns another target or --retry-failed"),
        std::string::npos)
        << r.err;
    EXPECT_EQ(image_requests(name), 0U);
    EXPECT_EQ(test::read_bytes(env_files.copy0), env0);
    EXPECT_EQ(test::read_bytes(env_files.copy1), env1);
    EXPECT_EQ(test::read_bytes(dir / "slot_a.img"), a);
    EXPECT_EQ(test::read_bytes(dir / "slot_b.img"), b);
    EXPECT_EQ(epoch() - epoch0, no_op);
  }
};

TEST_F(FailedTargetE2E, HealthCheckFailureIsNotRetriedUntilRetryFailed) {
  const auto no_op = no_op_increments();
  assign("rootfs-v2.img", v2, "primary");
  publish();
  expect_exit(update(), 10);
  booted("b");
  expect_exit(confirm("false"), 10, "HealthCheckFailed");  // marked bad
  EXPECT_FALSE(trial().has_value());                       // the failed trial is dropped
  booted("a");                                             // the reboot into the fallback

  const Json failed = status_failed();
  ASSERT_TRUE(failed.is_object()) << json_of("status").dump();
  EXPECT_EQ(failed.at("name"), "rootfs-v2.img");
  EXPECT_EQ(failed.at("sha256"),
            to_hex(streaming::digest_of(streaming::HashAlgorithm::Sha256, v2)));
  EXPECT_EQ(failed.at("length"), v2.size());
  EXPECT_TRUE(failed.at("reason").get<std::string>().starts_with("HealthCheckFailed: ")) << failed;
  expect_not_retried("rootfs-v2.img", no_op);
  expect_not_retried("rootfs-v2.img", no_op);  // and every run after it

  EXPECT_EQ(manifest_custom().at("failed"), failed);
  const auto text = ratchet({"status", "--config", (dir / "ratchet.toml").string()});
  EXPECT_NE(text.out.find("NOT RETRIED: ECU primary: rootfs-v2.img failed on "), std::string::npos)
      << text.out;

  // The operator asks: installed and armed again; the new trial replaces the record.
  test::write_bytes(dir / "slot_b.img", test::Bytes(1u << 20));
  expect_exit(update({"--retry-failed"}), 10);
  EXPECT_EQ(slot_b_image(), v2);
  EXPECT_EQ(boot_status().at("trial"), true);
  EXPECT_TRUE(trial().has_value());
  EXPECT_TRUE(status_failed().is_null());
  EXPECT_FALSE(manifest_custom().contains("failed"));
}

// The bootloader fell back (bootlimit attempts, a watchdog reset) and no confirm ran: the update
// finds it in the environment, records the target and drops the trial; a new target installs.
TEST_F(FailedTargetE2E, FallbackFoundByUpdateIsNotRetriedANewTargetIs) {
  const auto no_op = no_op_increments();
  assign("rootfs-v2.img", v2, "primary");
  publish();
  expect_exit(update(), 10);
  // What U-Boot stores when the trial runs out (boot.cmd rule 1): the same variables as
  // mark-bad (ratchet_slot=a, ratchet_good_b=0, upgrade_available=0, bootcount=0).
  ASSERT_EQ(ratchet({"boot", "--fw-env-config", env_files.config.string(), "mark-bad"}).exit_code,
            0);
  booted("a");
  ASSERT_TRUE(trial().has_value());

  image_server->clear_requests();
  expect_exit(update(), 0);
  EXPECT_EQ(image_requests("rootfs-v2.img"), 0U);
  EXPECT_FALSE(trial().has_value());
  const Json failed = status_failed();
  ASSERT_TRUE(failed.is_object()) << json_of("status").dump();
  EXPECT_EQ(failed.at("name"), "rootfs-v2.img");
  EXPECT_TRUE(failed.at("reason").get<std::string>().starts_with("fallback: ")) << failed;
  expect_not_retried("rootfs-v2.img", no_op);
  EXPECT_EQ(manifest_custom().at("failed"), failed);

  // The Director assigns v3: installed, and the commit of its trial drops the record.
  release("rootfs-v3.img", v3, 3);
  unassign("rootfs-v2.img");  // v2 is no longer this ECU's
  assign("rootfs-v3.img", v3, "primary");
  publish();
  expect_exit(update(), 10);
  auto b = test::read_bytes(dir / "slot_b.img");
  b.resize(v3.size());
  EXPECT_EQ(b, v3);
  EXPECT_EQ(boot_status().at("next"), "b");
  EXPECT_TRUE(status_failed().is_null());
  EXPECT_EQ(json_of("status").at("ecus").at("primary").at("trial").at("name"), "rootfs-v3.img");
}

// A payload whose bytes do not match its signed chunk list: refused (exit 30), recorded, and
// not downloaded again on the next runs; `--retry-failed` once the server is fixed installs it.
TEST_F(FailedTargetE2E, RefusedTargetIsNotDownloadedAgain) {
  const auto no_op = no_op_increments();
  assign("rootfs-v2.img", v2, "primary");
  publish();
  const auto served = dir / ("image" + v2_path());
  auto corrupt = v2;
  corrupt[(1u << 20) + 5] ^= std::byte{1};  // in the second chunk
  test::write_bytes(served, corrupt);
  const auto env0 = test::read_bytes(env_files.copy0), env1 = test::read_bytes(env_files.copy1);
  expect_exit(update(), 30, "ChunkMismatch");
  EXPECT_EQ(test::read_bytes(env_files.copy0), env0);  // nothing armed
  EXPECT_EQ(test::read_bytes(env_files.copy1), env1);
  EXPECT_FALSE(trial().has_value());
  const Json failed = status_failed();
  ASSERT_TRUE(failed.is_object()) << json_of("status").dump();
  EXPECT_EQ(failed.at("name"), "rootfs-v2.img");
  EXPECT_TRUE(failed.at("reason").get<std::string>().starts_with("ChunkMismatch: ")) << failed;
  EXPECT_EQ(manifest_custom().at("failed"), failed);

  expect_not_retried("rootfs-v2.img", no_op);

  test::write_bytes(served, v2);  // the mirror is fixed
  expect_exit(update({"--retry-failed"}), 10);
  EXPECT_EQ(slot_b_image(), v2);
  EXPECT_TRUE(status_failed().is_null());
}

// The Director reacts to the failure by assigning another target, here the image that runs
// (installed, so nothing is written): the record is cleared, and a later assignment of the
// failed target is the Director's new decision, installed again.
TEST_F(FailedTargetE2E, AnotherAssignmentEvenTheRunningImageClearsTheRecord) {
  assign("rootfs-v2.img", v2, "primary");
  publish();
  expect_exit(update(), 10);
  booted("b");
  expect_exit(confirm("true"), 0);  // v2 installed, runs from b

  release("rootfs-v3.img", v3, 3);
  unassign("rootfs-v2.img");
  assign("rootfs-v3.img", v3, "primary");
  publish();
  expect_exit(update(), 10);  // v3 into slot a
  booted("a");
  expect_exit(confirm("false"), 10, "HealthCheckFailed");
  booted("b");
  ASSERT_TRUE(status_failed().is_object()) << json_of("status").dump();
  EXPECT_EQ(status_failed().at("name"), "rootfs-v3.img");

  unassign("rootfs-v3.img");
  assign("rootfs-v2.img", v2, "primary");  // back to what runs
  publish();
  const auto a = test::read_bytes(dir / "slot_a.img"), b = test::read_bytes(dir / "slot_b.img");
  auto r = update();
  expect_exit(r, 0);
  EXPECT_NE(r.err.find("ECU primary: the Director assigns rootfs-v2.img, not the failed target "
                       "rootfs-v3.img: its record is cleared"),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(status_failed().is_null());
  EXPECT_EQ(test::read_bytes(dir / "slot_a.img"), a);
  EXPECT_EQ(test::read_bytes(dir / "slot_b.img"), b);

  unassign("rootfs-v2.img");
  assign("rootfs-v3.img", v3, "primary");  // v3 again: a new decision
  publish();
  expect_exit(update(), 10);
  EXPECT_EQ(json_of("status").at("ecus").at("primary").at("trial").at("name"), "rootfs-v3.img");
}

}  // namespace
}  // namespace ratchet::update
