// `ratchet update` and `ratchet install BUNDLE` end to end with the real pieces: the binary, a
// Director and an Image repository on loopback HTTP, an anchored store, file-backed slots and a
// file-backed redundant U-Boot environment through libubootenv. Every exit code of the contract.
#include <csignal>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>

#include "tests/agent/update_e2e_fixture.hpp"

namespace ratchet::update {
namespace {

TEST_F(UpdateE2E, NothingAssignedIsNothingToDo) {
  expect_exit(update(), 0);
  EXPECT_EQ(boot_status().at("trial"), false);
}

// A timer run that verifies nothing new writes nothing: no NV increment (`epoch` in status), the
// sealed state byte-identical. New metadata (a re-signed timestamp) is one commit.
TEST_F(UpdateE2E, NoOpRunsLeaveTheEpochUnchanged) {
  expect_exit(update(), 0);  // the first run trusts the Image repository's set
  const Json epoch = json_of("status").at("epoch");
  const auto sealed = [&] {
    return store::LmdbStore::open(dir / "state").value().get(store::kStateCurrent).value();
  };
  const auto before = sealed();
  for (int run = 0; run < 3; ++run)
    expect_exit(update(), 0);
  EXPECT_EQ(json_of("status").at("epoch"), epoch);
  EXPECT_EQ(sealed(), before);

  image->bump("timestamp");
  publish();
  expect_exit(update(), 0);
  EXPECT_EQ(json_of("status").at("epoch"), epoch.get<std::uint64_t>() + 1);
}

TEST_F(UpdateE2E, InstallsIntoTheInactiveSlotArmsATrialAndConfirms) {
  assign("rootfs-v2.img", v2, "primary");
  publish();
  expect_exit(update(), 10);  // installed, reboot needed
  EXPECT_EQ(slot_b_image(), v2);
  EXPECT_EQ(test::read_bytes(dir / "slot_a.img"), v1);  // the running slot is untouched
  auto st = boot_status();
  EXPECT_EQ(st.at("trial"), true);
  EXPECT_EQ(st.at("next"), "b");
  ASSERT_TRUE(trial().has_value());

  expect_exit(update(), 10);  // run again before the reboot: nothing rewritten, still waiting

  std::ofstream(dir / "cmdline") << "ratchet.slot=b\n";  // the reboot into b
  auto confirm = ratchet({"confirm", "--fw-env-config", env_files.config.string(), "--cmdline",
                          (dir / "cmdline").string(), "--check", "true", "--storage-dir",
                          (dir / "state").string(), "--anchor-dir", (dir / "anchor").string()});
  expect_exit(confirm, 0);
  EXPECT_EQ(boot_status().at("slots").at("b"), "good");
  expect_exit(update(), 0);  // v2 runs: nothing to do
}

// The same run with the slots as real block devices (loop devices over the slot files).
TEST_F(UpdateE2E, InstallsIntoLoopDeviceSlots) {
  test::write_bytes(dir / "slot_b.img", test::Bytes(4u << 20));  // a block device cannot grow
  test::LoopDevice a(dir / "slot_a.img"), b(dir / "slot_b.img");
  if (a.device().empty() || b.device().empty()) GTEST_SKIP() << "no loop devices: " << a.error();
  slot_a_dev = a.device();
  slot_b_dev = b.device();
  write_config();
  assign("rootfs-v2.img", v2, "primary");
  publish();
  expect_exit(update(), 10);
  test::write_bytes(dir / "v2.expected", v2);
  const auto written = test::run_process(
      {"cmp", "-n", std::to_string(v2.size()), b.device(), (dir / "v2.expected").string()});
  EXPECT_EQ(written.exit_code, 0) << written.out << written.err;
  EXPECT_EQ(test::read_bytes(dir / "slot_a.img"), v1);
  EXPECT_EQ(boot_status().at("next"), "b");
}

TEST_F(UpdateE2E, OfflineBundleGetsTheSameVerification) {
  assign("rootfs-v2.img", v2, "primary");
  publish();
  std::filesystem::create_directories(dir / "usb");
  std::filesystem::create_directories(dir / "usb2");
  std::filesystem::copy(dir / "director", dir / "usb/director",
                        std::filesystem::copy_options::recursive);
  std::filesystem::copy(dir / "image", dir / "usb/image", std::filesystem::copy_options::recursive);
  director_server.reset();  // offline
  image_server.reset();
  expect_exit(
      ratchet({"install", (dir / "usb").string(), "--config", (dir / "ratchet.toml").string()}),
      10);
  EXPECT_EQ(slot_b_image(), v2);

  // A bundle made for another device: the Director's targets name other ECUs, or a Director
  // signed by another key.
  auto other = tuf::TufRepository::create(static_cast<tuf::Seconds>(::time(nullptr)),
                                          tuf::KeyType::Ed25519, false)
                   .value();
  ASSERT_TRUE(other.publish(dir / "usb2/director"));
  std::filesystem::copy(dir / "image", dir / "usb2/image",
                        std::filesystem::copy_options::recursive);
  expect_exit(
      ratchet({"install", (dir / "usb2").string(), "--config", (dir / "ratchet.toml").string()}),
      30, "ThresholdNotMet");
  expect_exit(
      ratchet({"install", (dir / "nothing").string(), "--config", (dir / "ratchet.toml").string()}),
      2);
}

// A bundle older than what the device already trusts: refused with the reason, nothing changes.
TEST_F(UpdateE2E, BundleOlderThanTheTrustedSetIsRefused) {
  std::filesystem::create_directories(dir / "old-usb");
  std::filesystem::copy(dir / "director", dir / "old-usb/director",
                        std::filesystem::copy_options::recursive);
  std::filesystem::copy(dir / "image", dir / "old-usb/image",
                        std::filesystem::copy_options::recursive);
  assign("rootfs-v2.img", v2, "primary");
  publish();
  expect_exit(update(), 10);
  const Json floors = json_of("status").at("floors"), offered = json_of("targets");
  const auto env0 = test::read_bytes(env_files.copy0), env1 = test::read_bytes(env_files.copy1);
  expect_exit(
      ratchet({"install", (dir / "old-usb").string(), "--config", (dir / "ratchet.toml").string()}),
      30, "RollbackAttempt");
  EXPECT_EQ(test::read_bytes(env_files.copy0), env0);
  EXPECT_EQ(test::read_bytes(env_files.copy1), env1);
  EXPECT_EQ(slot_b_image(), v2);
  EXPECT_EQ(json_of("status").at("ecus").at("primary").at("trial").at("name"), "rootfs-v2.img");
  EXPECT_EQ(json_of("status").at("floors"), floors);  // the trusted metadata did not move
  EXPECT_EQ(json_of("targets"), offered);
}

TEST_F(UpdateE2E, RebootFlagRunsTheConfiguredRebootCommand) {
  boot_extra = "reboot_command = \"touch " + (dir / "rebooted").string() + "\"\n";
  write_config();
  expect_exit(update({"--reboot"}), 0);  // nothing to do: no reboot
  EXPECT_FALSE(std::filesystem::exists(dir / "rebooted"));
  assign("rootfs-v2.img", v2, "primary");
  publish();
  expect_exit(update({"--reboot"}), 10);
  EXPECT_TRUE(std::filesystem::exists(dir / "rebooted"));
  boot_extra = "reboot_command = \"false\"\n";  // a reboot that fails is a local failure
  write_config();
  expect_exit(update({"--reboot"}), 40);
}

// The reboot command is an argument vector, never shell input: an argument holding shell syntax
// reaches the program as it is, and a string that needs a shell is refused before anything runs.
TEST_F(UpdateE2E, RebootCommandRunsWithoutAShell) {
  const auto odd = dir / "rebooted; touch pwned";
  boot_extra = "reboot_command = [\"touch\", \"" + odd.string() + "\"]\n";
  write_config();
  assign("rootfs-v2.img", v2, "primary");
  publish();
  expect_exit(update({"--reboot"}), 10);
  EXPECT_TRUE(std::filesystem::exists(odd));
  EXPECT_FALSE(std::filesystem::exists("pwned"));

  boot_extra = "reboot_command = \"systemctl reboot && echo done\"\n";
  write_config();
  const auto env0 = test::read_bytes(env_files.copy0);
  const auto r = update({"--reboot"});
  expect_exit(r, 2);
  EXPECT_NE(r.err.find("boot.reboot_command: '&' is shell syntax"), std::string::npos) << r.err;
  EXPECT_EQ(test::read_bytes(env_files.copy0), env0);
}

TEST_F(UpdateE2E, ServerDownIsTransient) {
  director_server.reset();
  expect_exit(update(), 20);
}

TEST_F(UpdateE2E, DirectorImageMismatchIsRefusedAndChangesNoSlot) {
  assign("rootfs-v2.img", test::random_bytes(3u << 20, 9), "primary");  // not what Image signed
  publish();
  const auto env0 = test::read_bytes(env_files.copy0), env1 = test::read_bytes(env_files.copy1);
  const auto b = test::read_bytes(dir / "slot_b.img");
  expect_exit(update(), 30, "DirectorImageMismatch");
  EXPECT_EQ(test::read_bytes(dir / "slot_b.img"), b);
  EXPECT_EQ(test::read_bytes(env_files.copy0), env0);
  EXPECT_EQ(test::read_bytes(env_files.copy1), env1);
}

TEST_F(UpdateE2E, ASecondRunWaitsForNoOneItIsBusy) {
  auto fd = open_file(dir / "state/ratchet.lock", O_RDWR | O_CREAT, 0600).value();
  ASSERT_EQ(::flock(fd.get(), LOCK_EX), 0);
  expect_exit(update(), 41, "Busy");
}

TEST_F(UpdateE2E, BadConfigIsAUsageError) {
  std::ofstream(dir / "ratchet.toml", std::ios::app) << "typo = 1\n";
  expect_exit(update(), 2, "BadConfig");
}

TEST_F(UpdateE2E, SecondEcuFailingLeavesTheFirstCommitted) {
  const test::Bytes mcu = test::random_bytes(100000, 5);
  release("mcu.bin", mcu, 1, "mcu-x");
  assign("rootfs-v2.img", v2, "primary");
  assign("mcu.bin", mcu, "mcu", "mcu-x");
  publish();
  extra_ecus = "[[ecu]]\nserial = \"mcu\"\nhardware_id = \"mcu-x\"\nkind = \"command\"\npath = \"" +
               (dir / "mcu.bin").string() + "\"\ncommand = [\"false\"]\n";
  write_config();
  auto r = update();
  EXPECT_EQ(r.exit_code, 40) << r.err;  // the flash command failed: a local failure
  EXPECT_NE(r.err.find("ECU mcu"), std::string::npos) << r.err;
  EXPECT_TRUE(trial().has_value());  // the primary's install is committed all the same
  EXPECT_EQ(boot_status().at("trial"), true);

  // The manifest the Director received says what happened, ECU by ECU, signed by the device.
  const auto sent = director_server->put_body("/manifest");
  ASSERT_TRUE(sent.has_value());
  const Json m = verified_manifest(*sent);
  EXPECT_EQ(m.at("vin"), "dev-1");
  EXPECT_EQ(m.at("primary_ecu_serial"), "primary");
  const auto& primary = m.at("ecu_version_manifests").at("primary").at("signed");
  const auto& mcu_report = m.at("ecu_version_manifests").at("mcu").at("signed");
  EXPECT_EQ(primary.at("custom").at("ratchet").at("installation").at("result"), "ok");
  EXPECT_EQ(primary.at("custom").at("ratchet").at("trial").at("name"), "rootfs-v2.img");
  EXPECT_EQ(mcu_report.at("ecu_serial"), "mcu");
  EXPECT_EQ(mcu_report.at("custom").at("ratchet").at("installation").at("result"), "failed");
  EXPECT_NE(mcu_report.at("custom")
                .at("ratchet")
                .at("installation")
                .at("error")
                .get<std::string>()
                .find("exit"),
            std::string::npos)
      << mcu_report.dump();
  EXPECT_EQ(mcu_report.at("installed_image"), nullptr);
  EXPECT_EQ(mcu_report.at("attacks_detected"), "");

  // `ratchet manifest` reports the same run afterwards, with a newer report counter.
  auto shown = ratchet({"manifest", "--config", (dir / "ratchet.toml").string()});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  const Json again = verified_manifest(shown.out);
  EXPECT_GT(again.at("report_counter"), m.at("report_counter"));
  EXPECT_EQ(again.at("ecu_version_manifests")
                .at("mcu")
                .at("signed")
                .at("custom")
                .at("ratchet")
                .at("installation"),
            mcu_report.at("custom").at("ratchet").at("installation"));
}

TEST_F(UpdateE2E, StatusTargetsAndManifestReadTheConfig) {
  assign("rootfs-v2.img", v2, "primary");
  publish();
  expect_exit(update(), 10);
  const Json status = json_of("status");
  EXPECT_EQ(status.at("state"), "ok");
  EXPECT_EQ(status.at("device_id"), "dev-1");
  EXPECT_EQ(status.at("ecus").at("primary").at("trial").at("name"), "rootfs-v2.img");
  EXPECT_TRUE(status.contains("floors")) << status.dump();
  const Json targets = json_of("targets");
  ASSERT_EQ(targets.at("targets").size(), 1U);
  EXPECT_EQ(targets.at("targets").at(0).at("name"), "rootfs-v2.img");
  EXPECT_EQ(targets.at("targets").at(0).at("sha256"),
            to_hex(streaming::digest_of(streaming::HashAlgorithm::Sha256, v2)));

  // An attack is reported: the Director's targets replaced by a copy signed by another key.
  const auto director_copy = dir / "director-good";
  std::filesystem::copy(dir / "director", director_copy, std::filesystem::copy_options::recursive);
  auto other = tuf::TufRepository::create(static_cast<tuf::Seconds>(::time(nullptr)),
                                          tuf::KeyType::Ed25519, false)
                   .value();
  ASSERT_TRUE(other.publish(dir / "other"));
  std::filesystem::copy_file(dir / "other/targets.json", dir / "director/targets.json",
                             std::filesystem::copy_options::overwrite_existing);
  const auto refused = update();
  expect_exit(refused, 30);
  const std::string& r_attack_err = refused.err;
  const auto sent = director_server->put_body("/manifest");
  ASSERT_TRUE(sent.has_value());
  const Json m = verified_manifest(*sent);
  const auto attack =
      m.at("ecu_version_manifests").at("primary").at("signed").at("attacks_detected");
  EXPECT_NE(attack, "") << m.dump();
  EXPECT_NE(r_attack_err.find(attack.get<std::string>()), std::string::npos) << r_attack_err;
  EXPECT_EQ(json_of("targets").at("targets").at(0).at("name"), "rootfs-v2.img");  // still there

  // --send delivers a fresh one.
  auto sent_again = ratchet({"manifest", "--config", (dir / "ratchet.toml").string(), "--send"});
  ASSERT_EQ(sent_again.exit_code, 0) << sent_again.err;
  EXPECT_EQ(director_server->put_body("/manifest"),
            sent_again.out.substr(0, sent_again.out.size() - 1));
}

TEST_F(UpdateE2E, JsonProgressLinesThenTheOutcome) {
  assign("rootfs-v2.img", v2, "primary");
  publish();
  image_server->set_fault(
      {.fault = test::HttpFault::Slow, .bytes_per_second = 4u << 20, .only_path = v2_path()});
  auto r = update({"--json"});
  ASSERT_EQ(r.exit_code, 10) << r.err;
  std::vector<Json> lines;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(Json::parse(line, nullptr, false));
    ASSERT_FALSE(lines.back().is_discarded()) << line;
  }
  ASSERT_GE(lines.size(), 3U) << r.out;  // at least one in-flight line, the last one, the outcome
  std::uint64_t done = 0;
  for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
    EXPECT_EQ(lines[i].at("stage"), "install primary");
    EXPECT_EQ(lines[i].at("total"), v2.size());
    EXPECT_GE(lines[i].at("done").get<std::uint64_t>(), done);
    done = lines[i].at("done").get<std::uint64_t>();
  }
  EXPECT_EQ(lines[lines.size() - 2].at("finished"), true);
  EXPECT_EQ(done, v2.size());
  EXPECT_EQ(lines.back().at("outcome"), "reboot-needed");
  EXPECT_EQ(lines.back().at("installed").at(0), "primary: rootfs-v2.img");
}

// On a terminal (a pty from script(1), util-linux): one redrawn line with rate and ETA.
TEST_F(UpdateE2E, ProgressOnATerminalIsARedrawnLine) {
  assign("rootfs-v2.img", v2, "primary");
  publish();
  image_server->set_fault(
      {.fault = test::HttpFault::Slow, .bytes_per_second = 4u << 20, .only_path = v2_path()});
  const std::string cmd =
      std::string(RATCHET_BINARY) + " update --config '" + (dir / "ratchet.toml").string() + "'";
  const auto r = test::run_process({"script", "-qec", cmd, "/dev/null"});
  EXPECT_EQ(r.exit_code, 10) << r.out << r.err;
  EXPECT_NE(r.out.find("\rinstall primary:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ETA"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("100.0%"), std::string::npos) << r.out;
}

// Power cut (SIGKILL) at many points of one update, each run picking up where the last one
// stopped; then a run that completes. Nothing is trusted or armed half-way.
TEST_F(UpdateE2E, PowerCutsAtManyPointsThenARerunCompletes) {
  assign("rootfs-v2.img", v2, "primary");
  publish();
  const auto env0 = test::read_bytes(env_files.copy0);
  image_server->set_fault(
      {.fault = test::HttpFault::Slow, .bytes_per_second = 2u << 20, .only_path = v2_path()});
  int killed = 0;
  for (const int ms : {5, 40, 150, 400, 700, 900, 1100, 1300}) {
    auto r = update({}, std::chrono::milliseconds(ms));
    if (r.signal == SIGKILL) {
      ++killed;
      // A trial boot is never armed before its record is committed (recorded, then armed).
      if (test::read_bytes(env_files.copy0) != env0) {
        EXPECT_TRUE(trial().has_value());
      }
      EXPECT_EQ(test::read_bytes(dir / "slot_a.img"), v1);
    } else {
      EXPECT_EQ(r.exit_code, 10) << r.err;  // this machine was quick enough to finish
      break;
    }
  }
  EXPECT_GT(killed, 0);
  image_server->set_fault({});
  expect_exit(update(), 10);
  EXPECT_EQ(slot_b_image(), v2);
  EXPECT_EQ(boot_status().at("next"), "b");
  EXPECT_EQ(json_of("status").at("state"), "ok");
  // Later runs resumed: they asked only for the rest of the payload (when the cuts came so late
  // that the payload was complete, the last run only records and arms the trial).
  bool resumed = false;
  for (const auto& req : image_server->requests())
    if (req.target == v2_path() && req.range.starts_with("bytes=") &&
        !req.range.starts_with("bytes=0-"))
      resumed = true;
  EXPECT_TRUE(resumed || killed < 4) << killed << " runs killed, none resumed";
  ASSERT_TRUE(trial().has_value());
}

}  // namespace
}  // namespace ratchet::update
