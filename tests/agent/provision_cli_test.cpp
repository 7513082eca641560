// `ratchet provision` and `ratchet status` as the factory line and an operator run them.
#include <fstream>

#include <gtest/gtest.h>

#include "common/file.hpp"
#include "repo/tuf_repository.hpp"
#include "tests/support/anchor_backend.hpp"
#include "tests/support/data.hpp"
#include "tests/support/process.hpp"

namespace ratchet {
namespace {

using tuf::Json;

class ProvisionCli : public ::testing::Test {
 protected:
  test::TempDir dir;
  tuf::Seconds now = static_cast<tuf::Seconds>(::time(nullptr));

  void SetUp() override {
    auto director = tuf::TufRepository::create(now).value();
    auto image = tuf::TufRepository::create(now).value();
    ASSERT_TRUE(write_file_atomic(dir / "director-root.json", director.root_bytes(1)));
    ASSERT_TRUE(write_file_atomic(dir / "image-root.json", image.root_bytes(1)));
  }

  test::ProcessResult ratchet(std::vector<std::string> args,
                              const std::vector<std::string>& anchor) {
    args.insert(args.begin(), RATCHET_BINARY);
    args.insert(args.end(), {"--storage-dir", (dir / "state").string()});
    args.insert(args.end(), anchor.begin(), anchor.end());
    return test::run_process(args);
  }

  test::ProcessResult provision(const std::vector<std::string>& anchor,
                                const std::string& id = "dev-1") {
    return ratchet(
        {"provision", "--device-id", id, "--director-root", (dir / "director-root.json").string(),
         "--image-root", (dir / "image-root.json").string()},
        anchor);
  }
};

TEST_F(ProvisionCli, PrintsTheEnrollmentAndReRunningChangesNothing) {
  const std::vector<std::string> anchor = {"--anchor-dir", (dir / "anchor").string()};
  auto first = provision(anchor);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const auto e = Json::parse(first.out);
  EXPECT_EQ(e.at("device_id"), "dev-1");
  EXPECT_EQ(e.at("changed"), true);
  EXPECT_EQ(e.at("hardware_anchored"), false);
  EXPECT_EQ(e.at("ecu_key").at("scheme"), "ecdsa-sha2-nistp256");
  EXPECT_NE(first.err.find("not a TPM key"), std::string::npos) << first.err;  // loud

  auto again = provision(anchor);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(Json::parse(again.out).at("changed"), false);
  EXPECT_EQ(Json::parse(again.out).at("ecu_key_id"), e.at("ecu_key_id"));
  EXPECT_NE(again.err.find("nothing changed"), std::string::npos) << again.err;

  auto other = provision(anchor, "dev-2");
  EXPECT_EQ(other.exit_code, 30);
  EXPECT_NE(other.err.find("error: WrongDevice: "), std::string::npos) << other.err;
}

TEST_F(ProvisionCli, StatusSaysWhenFloorsAreNotHardwareAnchored) {
  const std::vector<std::string> anchor = {"--anchor-dir", (dir / "anchor").string()};
  ASSERT_EQ(provision(anchor).exit_code, 0);
  auto status = ratchet({"status"}, anchor);
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("WARNING: rollback floors are not hardware-anchored"),
            std::string::npos)
      << status.out;
  auto json = ratchet({"status", "--json"}, anchor);
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto j = Json::parse(json.out);
  EXPECT_EQ(j.at("state"), "ok");
  EXPECT_EQ(j.at("floors").at("director").at("root"), 1);
  EXPECT_EQ(j.at("floors").at("image").at("root"), 1);
}

TEST_F(ProvisionCli, NeedsExactlyOneAnchor) {
  auto none = provision({});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("either a TPM"), std::string::npos) << none.err;
}

TEST_F(ProvisionCli, TpmWithAnOwnerAuthNeedsIt) {
  if (!test::AnchorBackend::available(test::AnchorKind::Tpm)) GTEST_SKIP() << "no swtpm";
  test::Swtpm tpm;
  auto set = test::run_process({"tpm2_changeauth", "-c", "owner", "factory-secret"},
                               {"TPM2TOOLS_TCTI=" + tpm.tcti(), "TSS2_LOG=all+NONE"});
  if (set.exit_code != 0) GTEST_SKIP() << "tpm2_changeauth: " << set.err;
  const std::vector<std::string> anchor = {"--tcti", tpm.tcti()};
  auto refused = provision(anchor);
  EXPECT_EQ(refused.exit_code, 40) << refused.err;
  EXPECT_NE(refused.err.find("error: Tpm: "), std::string::npos) << refused.err;

  ASSERT_TRUE(write_file_atomic(dir / "owner-auth", "factory-secret\n", 0600));
  auto with_auth = anchor;
  with_auth.insert(with_auth.end(), {"--owner-auth-file", (dir / "owner-auth").string()});
  auto ok = provision(with_auth);
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  const auto e = Json::parse(ok.out);
  EXPECT_EQ(e.at("hardware_anchored"), true);
  EXPECT_EQ(e.at("ecu_key_in_tpm"), true);
  // Day to day the agent needs no owner auth: the counters and keys have their own.
  auto status = ratchet({"status", "--json"}, anchor);
  EXPECT_EQ(status.exit_code, 0) << status.err;
}

// The factory line runs provision with the device's own configuration, and records what slot A
// holds, so `ratchet status` and the first manifest name the factory image.
TEST_F(ProvisionCli, ReadsTheConfigurationAndRecordsTheFactoryImage) {
  const test::Bytes factory = test::random_bytes(300'000, 4);
  test::write_bytes(dir / "rootfs-v1.img", factory);
  test::Bytes slot = factory;
  slot.resize(1u << 20);  // the slot is bigger than its image
  test::write_bytes(dir / "slot_a.img", slot);
  test::write_bytes(dir / "slot_b.img", test::Bytes(1u << 20));
  std::ofstream(dir / "ratchet.toml")
      << "[device]\nid = \"dev-7\"\nstorage_dir = \"" << (dir / "state").string() << "\"\n"
      << "[server]\ndirector_url = \"http://127.0.0.1:9/\"\nimage_url = \"http://127.0.0.1:9/\"\n"
      << "[anchor]\ndir = \"" << (dir / "anchor").string() << "\"\n"
      << "[[ecu]]\nserial = \"primary\"\nhardware_id = \"board-a\"\n"
      << "slot_a = \"" << (dir / "slot_a.img").string() << "\"\n"
      << "slot_b = \"" << (dir / "slot_b.img").string() << "\"\n";
  const auto provision = [&](const std::string& image) {
    return test::run_process(
        {RATCHET_BINARY, "provision", "--config", (dir / "ratchet.toml").string(),
         "--director-root", (dir / "director-root.json").string(), "--image-root",
         (dir / "image-root.json").string(), "--installed-image", image, "--release-counter", "3"});
  };
  // An image the slot does not hold is never recorded (and nothing is provisioned).
  test::write_bytes(dir / "other.img", test::random_bytes(300'000, 5));
  auto r = provision((dir / "other.img").string());
  EXPECT_EQ(r.exit_code, 40) << r.err;
  EXPECT_NE(r.err.find("error: SlotMismatch: slot a"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "state"));

  r = provision((dir / "rootfs-v1.img").string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out).at("device_id"), "dev-7");
  const auto st = test::run_process(
      {RATCHET_BINARY, "status", "--config", (dir / "ratchet.toml").string(), "--json"});
  ASSERT_EQ(st.exit_code, 0) << st.err;
  const Json installed = Json::parse(st.out).at("ecus").at("primary").at("installed");
  EXPECT_EQ(installed.at("name"), "rootfs-v1.img");
  EXPECT_EQ(installed.at("length"), 300'000);
  EXPECT_EQ(installed.at("release_counter"), 3);
  EXPECT_EQ(installed.at("slot"), "a");
  const auto m =
      test::run_process({RATCHET_BINARY, "manifest", "--config", (dir / "ratchet.toml").string()});
  ASSERT_EQ(m.exit_code, 0) << m.err;
  EXPECT_EQ(Json::parse(m.out)
                .at("signed")
                .at("ecu_version_manifests")
                .at("primary")
                .at("signed")
                .at("installed_image")
                .at("filepath"),
            "rootfs-v1.img");
  // Idempotent: the same run again changes nothing.
  EXPECT_EQ(provision((dir / "rootfs-v1.img").string()).exit_code, 0);
}

// A successful TPM provision is quiet: no tpm2-tss ERROR lines for the answers it expects, and
// no "not hardware-anchored" warning. An unreachable TPM is an error naming the TCTI, and never
// that warning either.
TEST_F(ProvisionCli, ATpmProvisionIsQuietAndAnUnreachableTpmIsAnErrorNamingIt) {
  if (!test::AnchorBackend::available(test::AnchorKind::Tpm)) GTEST_SKIP() << "no swtpm";
  std::string tcti;
  {
    test::Swtpm tpm;
    tcti = tpm.tcti();
    const std::vector<std::string> anchor = {"--tcti", tcti};
    const auto ok = provision(anchor);
    ASSERT_EQ(ok.exit_code, 0) << ok.err;
    EXPECT_EQ(ok.err.find("ERROR"), std::string::npos) << ok.err;
    EXPECT_EQ(ok.err.find("not hardware-anchored"), std::string::npos) << ok.err;
    EXPECT_EQ(ok.err.find("<5>"), std::string::npos) << "no journal prefixes on a pipe\n" << ok.err;
  }
  // The swtpm is gone: the same TCTI no longer answers.
  const std::vector<std::string> anchor = {"--tcti", tcti};
  const auto status = ratchet({"status"}, anchor);
  EXPECT_EQ(status.exit_code, 40) << status.err;
  EXPECT_NE(status.err.find(tcti), std::string::npos) << status.err;
  EXPECT_EQ(status.out.find("not hardware-anchored"), std::string::npos) << status.out;
  EXPECT_EQ(status.err.find("not hardware-anchored"), std::string::npos) << status.err;
}

}  // namespace
}  // namespace ratchet
