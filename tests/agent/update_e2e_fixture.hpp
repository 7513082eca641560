// The fixture of the `ratchet update` end-to-end tests: a Director and an Image repository on
// loopback HTTP, an anchored store (file anchor), file-backed slots and a file-backed redundant
// U-Boot environment through libubootenv, and the `ratchet` binary.
#pragma once

#include <csignal>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "agent/provisioning/provisioning.hpp"
#include "agent/store/installed_images.hpp"
#include "agent/tuf/keys.hpp"
#include "common/file.hpp"
#include "common/hex.hpp"
#include "repo/tuf_repository.hpp"
#include "streaming/chunk_list.hpp"
#include "streaming/hasher.hpp"
#include "tests/support/anchor_backend.hpp"
#include "tests/support/data.hpp"
#include "tests/support/http_server.hpp"
#include "tests/support/loop_device.hpp"
#include "tests/support/process.hpp"
#include "tests/support/uboot_env_files.hpp"

namespace ratchet::update {

using tuf::Json;

inline std::string as_string(const test::Bytes& b) {
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
  std::string image_url;                                   // empty: the loopback test server's
  std::string server_extra;                                // more [server] lines (TLS)
  std::string boot_extra;                                  // more [boot] lines
  std::filesystem::path slot_a_dev, slot_b_dev;            // the slots as the config names them
  tuf::Layout director_layout = tuf::Layout::TargetsOnly;  // (set in a subclass's constructor)

  void SetUp() override {
    const auto now = static_cast<tuf::Seconds>(::time(nullptr));
    director =
        tuf::TufRepository::create(now, tuf::KeyType::Ed25519, false, director_layout).value();
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

  // An image target with its chunk list, as ratchet-repo add-target writes it; `custom` is merged
  // into its custom object as a JSON merge patch (RFC 7386: null removes a field), for the
  // spellings and fields other repositories write.
  void release(const std::string& name, const test::Bytes& content, int release_counter,
               const std::string& hw = "board-a", const Json& custom = Json::object()) {
    const auto chunks = streaming::ChunkList::of_bytes(content, 1u << 20).value().serialize();
    const std::string sha = to_hex(streaming::digest_of(streaming::HashAlgorithm::Sha256, content));
    const std::string chunks_sha = to_hex(
        streaming::digest_of(streaming::HashAlgorithm::Sha256, std::as_bytes(std::span(chunks))));
    image->add_target(name + ".chunks", chunks, Json{{"hardwareIds", Json::array({hw})}});
    Json fields{{"hardwareIds", Json::array({hw})},
                {"releaseCounter", release_counter},
                {"ratchet",
                 {{"format", "raw"},
                  {"image", {{"length", content.size()}, {"sha256", sha}}},
                  {"chunks",
                   {{"name", name + ".chunks"}, {"length", chunks.size()}, {"sha256", chunks_sha}}},
                  {"securityVersion", release_counter}}}};
    fields.merge_patch(custom);
    image->add_target(name, as_string(content), std::move(fields));
  }
  void assign(const std::string& name, const test::Bytes& content, const std::string& ecu,
              const std::string& hw = "board-a") {
    director->add_target(name, as_string(content),
                         Json{{"ecuIdentifiers", Json{{ecu, Json{{"hardwareId", hw}}}}}});
  }
  // The Director stops assigning `name` (an assignment is replaced, not added to).
  void unassign(const std::string& name) {
    director->signed_part("targets").at("targets").erase(name);
  }
  void publish() {
    ASSERT_TRUE(director->publish(dir / "director"));
    ASSERT_TRUE(image->publish(dir / "image"));
  }
  void write_config(const std::string& director_url = "") {
    std::ofstream(dir / "ratchet.toml")
        << "[device]\nid = \"dev-1\"\nstorage_dir = \"" << (dir / "state").string() << "\"\n"
        << "[server]\ndirector_url = \""
        << (director_url.empty() ? director_server->url("") : director_url) << "\"\n"
        << "image_url = \"" << (image_url.empty() ? image_server->url("") : image_url) << "\"\n"
        << server_extra << "[anchor]\ndir = \"" << (dir / "anchor").string() << "\"\n"
        << "[boot]\nfw_env_config = \"" << env_files.config.string() << "\"\n"
        << "env_defaults = \"" << env_files.defaults.string() << "\"\n"
        << "cmdline = \"" << (dir / "cmdline").string() << "\"\n"
        << boot_extra << "[limits]\nretries = 0\ncheckpoint_interval = 1048576\n"
        << "[[ecu]]\nserial = \"primary\"\nhardware_id = \"board-a\"\n"
        << "slot_a = \"" << (slot_a_dev.empty() ? dir / "slot_a.img" : slot_a_dev).string()
        << "\"\n"
        << "slot_b = \"" << (slot_b_dev.empty() ? dir / "slot_b.img" : slot_b_dev).string()
        << "\"\n"
        << extra_ecus;
  }
  test::ProcessResult ratchet(std::vector<std::string> args) {
    args.insert(args.begin(), RATCHET_BINARY);
    return test::run_process(args);
  }
  test::ProcessResult update(std::vector<std::string> extra = {},
                             std::chrono::milliseconds kill_after = std::chrono::seconds(120)) {
    std::vector<std::string> args = {RATCHET_BINARY, "update", "--config",
                                     (dir / "ratchet.toml").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return test::run_process(args, {}, kill_after);
  }
  // `ratchet <command> --config ratchet.toml --json`, parsed.
  Json json_of(const std::string& command) {
    auto r = ratchet({command, "--config", (dir / "ratchet.toml").string(), "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Json::parse(r.out, nullptr, false);
  }
  // The signed part of a manifest envelope, after checking its signature with the device's ECU
  // key; every ECU report inside is checked the same way.
  Json verified_manifest(const std::string& text) {
    const Json env = Json::parse(text);
    auto anchor = backend.open();
    const auto pub = tuf::PublicKey::from_json(
                         {{"keytype", "ecdsa"},
                          {"scheme", tuf::kEcdsaP256},
                          {"keyval", {{"public", anchor.signing_key->public_key_pem().value()}}}},
                         "ECU key")
                         .value();
    const auto check = [&](const Json& e) {
      const std::string canonical = tuf::canonical_json(e.at("signed")).value();
      EXPECT_EQ(e.at("signatures").at(0).at("keyid"), pub.key_id());
      const auto sig = from_hex(e.at("signatures").at(0).at("sig").get<std::string>()).value();
      EXPECT_TRUE(pub.verify(std::as_bytes(std::span(canonical)), std::span<const std::byte>(sig)));
    };
    check(env);
    for (const auto& [serial, report] : env.at("signed").at("ecu_version_manifests").items())
      check(report);
    return env.at("signed");
  }
  // Where the Image repository serves v2 (consistent snapshots: hash-prefixed).
  std::string v2_path() const {
    return "/targets/" + to_hex(streaming::digest_of(streaming::HashAlgorithm::Sha256, v2)) +
           ".rootfs-v2.img";
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

}  // namespace ratchet::update
