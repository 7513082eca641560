// `ratchet update` and `ratchet install BUNDLE` end to end with the real pieces: the binary, a
// Director and an Image repository on loopback HTTP, an anchored store, file-backed slots and a
// file-backed redundant U-Boot environment through libubootenv. Every exit code of the contract.
#include <fstream>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>

#include "agent/provisioning/provisioning.hpp"
#include "agent/repo/tuf_repository.hpp"
#include "agent/store/installed_images.hpp"
#include "common/file.hpp"
#include "common/hex.hpp"
#include "streaming/chunk_list.hpp"
#include "streaming/hasher.hpp"
#include "tests/support/anchor_backend.hpp"
#include "tests/support/data.hpp"
#include "tests/support/http_server.hpp"
#include "tests/support/process.hpp"
#include "tests/support/uboot_env_files.hpp"

namespace ratchet::update {
namespace {

using tuf::Json;

std::string as_string(const test::Bytes& b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

class UpdateE2E : public ::testing::Test {
 protected:
  test::TempDir dir;
  test::UbootEnvFiles env_files{dir / "env"};
  test::AnchorBackend backend{test::AnchorKind::File, dir / "anchor"};
  std::optional<tuf::TufRepository> director, image;
  std::unique_ptr<test::HttpServer> director_server, image_server;
  const test::Bytes v1 = test::random_bytes(3u << 20, 1);
  const test::Bytes v2 = test::random_bytes(3u << 20, 2);
  std::string extra_ecus;

  void SetUp() override {
    const auto now = static_cast<tuf::Seconds>(::time(nullptr));
    director = tuf::TufRepository::create(now, tuf::KeyType::Ed25519, false).value();
    image = tuf::TufRepository::create(now).value();
    test::write_bytes(dir / "slot_a.img", v1);  // running v1 from slot a
    test::write_bytes(dir / "slot_b.img", test::Bytes(1u << 20));
    std::ofstream(dir / "cmdline") << "ratchet.slot=a\n";
    release("rootfs-v2.img", v2, 2);
    publish();
    director_server = std::make_unique<test::HttpServer>(dir / "director");
    image_server = std::make_unique<test::HttpServer>(dir / "image");
    auto anchor = backend.open();
    auto db = store::LmdbStore::open(dir / "state").value();
    ASSERT_TRUE(provisioning::provision(db, anchor,
                                        {"dev-1", director->root_bytes(1), image->root_bytes(1)}));
    write_config();
    ASSERT_EQ(ratchet({"boot", "--fw-env-config", env_files.config.string(), "--env-defaults",
                       env_files.defaults.string(), "mark-good"})
                  .exit_code,
              0);
  }

  // An image target with its chunk list, as ratchet-repo add-target writes it.
  void release(const std::string& name, const test::Bytes& content, int release_counter,
               const std::string& hw = "board-a") {
    const auto chunks = streaming::ChunkList::of_bytes(content, 1u << 20).value().serialize();
    const std::string sha = to_hex(streaming::digest_of(streaming::HashAlgorithm::Sha256, content));
    const std::string chunks_sha = to_hex(
        streaming::digest_of(streaming::HashAlgorithm::Sha256, std::as_bytes(std::span(chunks))));
    image->add_target(name + ".chunks", chunks, Json{{"hardwareIds", Json::array({hw})}});
    image->add_target(
        name, as_string(content),
        Json{{"hardwareIds", Json::array({hw})},
             {"releaseCounter", release_counter},
             {"ratchet",
              {{"format", "raw"},
               {"image", {{"length", content.size()}, {"sha256", sha}}},
               {"chunks",
                {{"name", name + ".chunks"}, {"length", chunks.size()}, {"sha256", chunks_sha}}},
               {"securityVersion", release_counter}}}});
  }
  void assign(const std::string& name, const test::Bytes& content, const std::string& ecu,
              const std::string& hw = "board-a") {
    director->add_target(name, as_string(content),
                         Json{{"ecuIdentifiers", Json{{ecu, Json{{"hardwareId", hw}}}}}});
  }
  void publish() {
    ASSERT_TRUE(director->publish(dir / "director"));
    std::filesystem::remove(dir / "director/timestamp.json");
    std::filesystem::remove(dir / "director/snapshot.json");
    ASSERT_TRUE(image->publish(dir / "image"));
  }
  void write_config(const std::string& director_url = "") {
    std::ofstream(dir / "ratchet.toml")
        << "[device]\nid = \"dev-1\"\nstorage_dir = \"" << (dir / "state").string() << "\"\n"
        << "[server]\ndirector_url = \""
        << (director_url.empty() ? director_server->url("") : director_url) << "\"\n"
        << "image_url = \"" << image_server->url("") << "\"\n"
        << "[anchor]\ndir = \"" << (dir / "anchor").string() << "\"\n"
        << "[boot]\nfw_env_config = \"" << env_files.config.string() << "\"\n"
        << "env_defaults = \"" << env_files.defaults.string() << "\"\n"
        << "cmdline = \"" << (dir / "cmdline").string() << "\"\n"
        << "[limits]\nretries = 0\n"
        << "[[ecu]]\nserial = \"primary\"\nhardware_id = \"board-a\"\n"
        << "slot_a = \"" << (dir / "slot_a.img").string() << "\"\n"
        << "slot_b = \"" << (dir / "slot_b.img").string() << "\"\n"
        << extra_ecus;
  }
  test::ProcessResult ratchet(std::vector<std::string> args) {
    args.insert(args.begin(), RATCHET_BINARY);
    return test::run_process(args);
  }
  test::ProcessResult update() {
    return ratchet({"update", "--config", (dir / "ratchet.toml").string()});
  }
  Json boot_status() {
    auto r = ratchet({"boot", "--fw-env-config", env_files.config.string(), "--cmdline",
                      (dir / "cmdline").string(), "status", "--json"});
    return Json::parse(r.out);
  }
  test::Bytes slot_b_image() {
    auto b = test::read_bytes(dir / "slot_b.img");
    b.resize(v2.size());
    return b;
  }
  std::optional<std::string> trial() {
    auto db = store::LmdbStore::open(dir / "state").value();
    return db.get(store::trial_key("primary")).value();
  }
  void expect_exit(const test::ProcessResult& r, int code, const std::string& error = "") {
    EXPECT_EQ(r.exit_code, code) << r.err;
    if (!error.empty()) {
      EXPECT_NE(r.err.find("error: " + error + ": "), std::string::npos) << r.err;
    }
  }
};

TEST_F(UpdateE2E, NothingAssignedIsNothingToDo) {
  expect_exit(update(), 0);
  EXPECT_EQ(boot_status().at("trial"), false);
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
               (dir / "mcu.bin").string() + "\"\ncommand = \"exit 7 #\"\n";
  write_config();
  auto r = update();
  EXPECT_EQ(r.exit_code, 40) << r.err;  // the flash command failed: a local failure
  EXPECT_NE(r.err.find("ECU mcu"), std::string::npos) << r.err;
  EXPECT_TRUE(trial().has_value());  // the primary's install is committed all the same
  EXPECT_EQ(boot_status().at("trial"), true);
}

}  // namespace
}  // namespace ratchet::update
