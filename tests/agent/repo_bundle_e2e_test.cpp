// The offline path as an operator and a device run it, binaries only: ratchet-repo makes a
// stick for a chosen target without publishing it to the fleet, the device installs it with
// `ratchet install`, and the online Director never signs the bundle's version again.
#include <fstream>

#include <gtest/gtest.h>

#include "agent/tuf/canonical_json.hpp"
#include "tests/support/data.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/uboot_env_files.hpp"

namespace ratchet {
namespace {

namespace fs = std::filesystem;
using tuf::Json;

class RepoBundleE2E : public ::testing::Test {
 protected:
  test::TempDir dir;
  test::UbootEnvFiles env{dir / "env"};
  const fs::path repo = dir / "repo";
  const test::Bytes v1 = test::random_bytes(2u << 20, 11);
  const test::Bytes v2 = test::random_bytes(2u << 20, 12);

  static test::ProcessResult run(const char* binary, std::vector<std::string> args) {
    args.insert(args.begin(), binary);
    return test::run_process(args);
  }
  test::ProcessResult tool(const std::vector<std::string>& args) {
    return run(RATCHET_REPO_BINARY, args);
  }
  test::ProcessResult device(std::vector<std::string> args) {
    args.insert(args.end(), {"--config", (dir / "ratchet.toml").string()});
    return run(RATCHET_BINARY, args);
  }
  static Json targets_of(const fs::path& file) {
    std::ifstream in(file);
    return Json::parse(in)["signed"];
  }

  void SetUp() override {
    test::write_bytes(dir / "v1.img", v1);
    test::write_bytes(dir / "v2.img", v2);
    test::write_bytes(dir / "slot_a.img", v1);
    test::write_bytes(dir / "slot_b.img", test::Bytes(1u << 20));
    std::ofstream(dir / "cmdline") << "ratchet.slot=a\n";
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"init", repo.string()},
             {"add-target", repo.string(), "--image", (dir / "v1.img").string(), "--name",
              "fw-1.img", "--hardware-id", "board-a", "--release-counter", "1"},
             {"add-target", repo.string(), "--image", (dir / "v2.img").string(), "--name",
              "fw-2.img", "--hardware-id", "board-a", "--release-counter", "2"},
             {"assign", repo.string(), "--device", "dev-1", "--ecu", "primary", "--hardware-id",
              "board-a", "--target", "fw-1.img"}}) {
      const auto r = tool(args);
      ASSERT_EQ(r.exit_code, 0) << args[0] << ": " << r.err;
    }
    std::ofstream(dir / "ratchet.toml")
        << "[device]\nid = \"dev-1\"\nstorage_dir = \"" << (dir / "state").string() << "\"\n"
        << "[server]\ndirector_url = \"http://127.0.0.1:9/director/dev-1/\"\n"
        << "image_url = \"http://127.0.0.1:9/image/\"\n"
        << "[anchor]\ndir = \"" << (dir / "anchor").string() << "\"\n"
        << "[boot]\nfw_env_config = \"" << env.config.string() << "\"\n"
        << "env_defaults = \"" << env.defaults.string() << "\"\n"
        << "cmdline = \"" << (dir / "cmdline").string() << "\"\n"
        << "[[ecu]]\nserial = \"primary\"\nhardware_id = \"board-a\"\n"
        << "slot_a = \"" << (dir / "slot_a.img").string() << "\"\n"
        << "slot_b = \"" << (dir / "slot_b.img").string() << "\"\n";
    const auto p =
        run(RATCHET_BINARY,
            {"provision", "--storage-dir", (dir / "state").string(), "--device-id", "dev-1",
             "--director-root", (repo / "director/dev-1/1.root.json").string(), "--image-root",
             (repo / "image/1.root.json").string(), "--anchor-dir", (dir / "anchor").string()});
    ASSERT_EQ(p.exit_code, 0) << p.err;
    const auto g = run(RATCHET_BINARY, {"boot", "--fw-env-config", env.config.string(),
                                        "--env-defaults", env.defaults.string(), "mark-good"});
    ASSERT_EQ(g.exit_code, 0) << g.err;
  }
};

// The factory provisions from the fleet's Director root, which init writes before any device is
// known; every device's Director starts from it.
TEST_F(RepoBundleE2E, EveryDevicesDirectorStartsFromTheRootInitWrote) {
  EXPECT_EQ(test::read_bytes(repo / "director/dev-1/1.root.json"),
            test::read_bytes(repo / "director-root.json"));
  ASSERT_EQ(tool({"assign", repo.string(), "--device", "dev-2", "--ecu", "primary", "--hardware-id",
                  "board-a", "--target", "fw-1.img"})
                .exit_code,
            0);
  EXPECT_EQ(test::read_bytes(repo / "director/dev-2/1.root.json"),
            test::read_bytes(repo / "director-root.json"));
}

TEST_F(RepoBundleE2E, ABundleOfAChosenTargetInstallsAndTheFleetSeesNoChange) {
  const auto online = test::read_bytes(repo / "director/dev-1/targets.json");
  const auto online_version = targets_of(repo / "director/dev-1/targets.json")["version"];
  const auto made = tool({"bundle", repo.string(), "--device", "dev-1", "--target", "fw-2.img",
                          "--out", (dir / "usb.tar").string()});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const std::string says = "Director targets v" + std::to_string(online_version.get<int>() + 1) +
                           " (signed for this bundle; the online Director is unchanged): fw-2.img";
  EXPECT_NE(made.out.find(says), std::string::npos) << made.out;
  EXPECT_EQ(test::read_bytes(repo / "director/dev-1/targets.json"), online);

  const auto installed = device({"install", (dir / "usb.tar").string()});
  EXPECT_EQ(installed.exit_code, 10) << installed.err;
  auto b = test::read_bytes(dir / "slot_b.img");
  b.resize(v2.size());
  EXPECT_TRUE(b == v2);

  // The next online assignment is signed past the bundle's version.
  ASSERT_EQ(tool({"assign", repo.string(), "--device", "dev-1", "--ecu", "primary", "--hardware-id",
                  "board-a", "--target", "fw-2.img"})
                .exit_code,
            0);
  EXPECT_EQ(targets_of(repo / "director/dev-1/targets.json")["version"],
            online_version.get<int>() + 2);
}

TEST_F(RepoBundleE2E, ABundleNamesTheEcusItIsForOrRefusesTheTarget) {
  auto r = tool({"bundle", repo.string(), "--device", "dev-1", "--target", "fw-2.img", "--ecu",
                 "primary", "--hardware-id", "board-b", "--out", (dir / "x").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("target 'fw-2.img' is for hardware [\"board-a\"], not 'board-b'"),
            std::string::npos)
      << r.err;
  r = tool({"bundle", repo.string(), "--device", "dev-1", "--target", "fw-9.img", "--out",
            (dir / "x").string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("fw-9.img"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "x"));
  // A bundle made with explicit ECUs carries exactly those.
  r = tool({"bundle", repo.string(), "--device", "dev-1", "--target", "fw-2.img", "--ecu",
            "primary", "--hardware-id", "board-a", "--out", (dir / "usb").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json t = targets_of(dir / "usb/director/targets.json")["targets"];
  ASSERT_TRUE(t.contains("fw-2.img")) << t.dump();
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t["fw-2.img"]["custom"]["ecuIdentifiers"],
            (Json{{"primary", {{"hardwareId", "board-a"}}}}));
}

TEST_F(RepoBundleE2E, InfoShowsWhatABundleAndARepositoryHold) {
  ASSERT_EQ(tool({"bundle", repo.string(), "--device", "dev-1", "--target", "fw-2.img", "--out",
                  (dir / "usb.tar").string()})
                .exit_code,
            0);
  auto r = tool({"info", (dir / "usb.tar").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string line :
       {"bundle for device dev-1, created ", "compression none", "ECU primary (board-a): fw-2.img",
        "fw-2.img: raw, image 2097152 bytes, payload 2097152 bytes, release counter 2, security "
        "version 0, hardware [\"board-a\"]",
        "Image repository: root v1, timestamp v"})
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
  EXPECT_EQ(r.out.find("fw-1.img:"), std::string::npos) << "fw-1 is not in the bundle\n" << r.out;

  r = tool({"info", "--json", repo.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json info = Json::parse(r.out);
  EXPECT_EQ(info["kind"], "repository");
  EXPECT_EQ(info["directors"]["dev-1"]["ecus"]["primary"]["target"], "fw-1.img");
  EXPECT_EQ(info["image"]["targets"]["fw-2.img"]["release_counter"], 2);
  EXPECT_EQ(info["image"]["targets"].size(), 2u) << "chunk lists are not listed as images";

  r = tool({"info", (dir / "nothing").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("BadBundle"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ratchet
