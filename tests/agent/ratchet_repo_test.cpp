// ratchet-repo, the real binary: a repository made, filled and assigned from the command line, then
// fetched by `ratchet fetch` from `ratchet-repo serve` (and from nginx: the layout is plain static
// files); payload formats decoded back to their images; bundles; the server's ranges, manifest
// uploads, path checks and fault modes.
#include <charconv>
#include <fstream>
#include <set>

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "agent/provisioning/provisioning_record.hpp"
#include "agent/tuf/canonical_json.hpp"
#include "agent/tuf/keys.hpp"
#include "common/fd.hpp"
#include "common/handles/curl.hpp"
#include "common/hex.hpp"
#include "streaming/chunk_list.hpp"
#include "streaming/memory_sink.hpp"
#include "streaming/zstd_decoder.hpp"
#include "tests/support/background_process.hpp"
#include "tests/support/data.hpp"
#include "tests/support/nginx.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace ratchet {
namespace {

namespace fs = std::filesystem;
using tuf::Json;

std::string text_of(const fs::path& path) {
  const auto bytes = test::read_bytes(path);
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::string text_of(const test::Bytes& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

Json json_of(const fs::path& path) {
  return Json::parse(text_of(path));
}

// The newest N.<role>.json of a consistent-snapshot repository.
fs::path newest(const fs::path& dir, const std::string& role) {
  // std::regex is avoided: GCC 12 warns inside libstdc++'s regex under -O2 with sanitizers.
  const std::string suffix = "." + role + ".json";
  std::uint64_t best = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (!name.ends_with(suffix) || name.size() == suffix.size()) continue;
    std::uint64_t v = 0;
    const char* end = name.data() + (name.size() - suffix.size());
    const auto [ptr, ec] = std::from_chars(name.data(), end, v);
    if (ec == std::errc() && ptr == end) best = std::max(best, v);
  }
  return dir / (std::to_string(best) + "." + role + ".json");
}

struct HttpResult {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  if (body->size() > (64u << 20)) return 0;  // an endless body stops here
  body->append(data, size * count);
  return size * count;
}

HttpResult http(const std::string& url, const std::string& range = "",
                const std::optional<std::string>& put = std::nullopt) {
  curl::Easy easy(curl_easy_init());
  HttpResult r;
  curl_easy_setopt(easy.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy.get(), CURLOPT_PROXY, "");
  curl_easy_setopt(easy.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy.get(), CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(easy.get(), CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(easy.get(), CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(easy.get(), CURLOPT_WRITEDATA, &r.body);
  if (!range.empty()) curl_easy_setopt(easy.get(), CURLOPT_RANGE, range.c_str());
  if (put) {
    curl_easy_setopt(easy.get(), CURLOPT_CUSTOMREQUEST, "PUT");
    curl_easy_setopt(easy.get(), CURLOPT_POSTFIELDS, put->data());
    curl_easy_setopt(easy.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(put->size()));
  }
  r.code = curl_easy_perform(easy.get());
  curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &r.status);
  return r;
}

// A device's ECU key and its vehicle manifest, signed as `ratchet manifest` signs it.
tuf::PrivateKey ecu_key() {
  return tuf::PrivateKey::generate(tuf::KeyType::EcdsaP256).value();
}

std::string signed_manifest(const tuf::PrivateKey& key, const std::string& vin,
                            std::uint64_t counter = 1) {
  const Json signed_part = {{"vin", vin},
                            {"primary_ecu_serial", "ecu-1"},
                            {"ecu_version_manifests", Json::object()},
                            {"report_counter", counter}};
  const std::string canonical = tuf::canonical_json(signed_part).value();
  const auto sig = key.sign(std::as_bytes(std::span(canonical))).value();
  return Json{{"signed", signed_part},
              {"signatures", Json::array({{{"keyid", key.public_key().key_id()},
                                           {"method", tuf::kEcdsaP256},
                                           {"sig", to_hex(std::span<const std::byte>(sig))}}})}}
      .dump();
}

class RatchetRepo : public ::testing::Test {
 protected:
  test::TempDir dir;
  const fs::path repo = dir / "repo";
  std::unique_ptr<test::BackgroundProcess> server;
  std::string base_url;  // http://127.0.0.1:PORT
  // Something like a filesystem image, and a next version of it (a delta is much smaller).
  const test::Bytes v1 = test::image_like(3 * 1024 * 1024 + 4321, 7);
  const test::Bytes v2 = test::edited(v1, 8, 100000);

  void SetUp() override {
    test::write_bytes(dir / "v1.img", v1);
    test::write_bytes(dir / "v2.img", v2);
  }

  static test::ProcessResult tool(std::vector<std::string> args) {
    args.insert(args.begin(), RATCHET_REPO_BINARY);
    return test::run_process(args);
  }

  // Runs ratchet-repo and expects success.
  void ok(const std::vector<std::string>& args) {
    const auto r = tool(args);
    ASSERT_EQ(r.exit_code, 0) << args.at(0) << ": " << r.err;
  }

  void init_with_v1(const std::string& format = "raw") {
    ok({"init", repo.string()});
    ok({"add-target", repo.string(), "--image", (dir / "v1.img").string(), "--name", "fw-1.img",
        "--hardware-id", "board-a", "--release-counter", "1", "--format", format});
  }

  void serve(const std::vector<std::string>& extra = {}) {
    server.reset();
    std::vector<std::string> argv = {
        RATCHET_REPO_BINARY,    "serve", repo.string(), "--port", "0", "--port-file",
        (dir / "port").string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    server = std::make_unique<test::BackgroundProcess>(argv, dir / "serve");
    const auto url = server->wait_for_line("listening on ");
    ASSERT_TRUE(url) << server->err();
    base_url = *url;
    std::string port = text_of(dir / "port");
    std::erase(port, '\n');
    EXPECT_EQ(base_url, "http://127.0.0.1:" + port);
  }

  test::ProcessResult fetch(const std::string& url, const std::string& serial = "ecu-1",
                            const std::string& hw = "board-a",
                            const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {RATCHET_BINARY,   "fetch",
                                     "--storage-dir",  (dir / "state").string(),
                                     "--director-url", url + "/director/dev-1/",
                                     "--image-url",    url + "/image/",
                                     "--ecu-serial",   serial,
                                     "--hardware-id",  hw,
                                     "--target-dir",   (dir / "out").string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return test::run_process(argv);
  }

  // `ratchet-repo enroll` of a new ECU key for `device`, from an enrollment as `ratchet provision`
  // prints it.
  tuf::PrivateKey enroll(const std::string& device) {
    auto key = ecu_key();
    const auto file = dir / (device + ".enrollment.json");
    std::ofstream(file) << Json{{"device_id", device},
                                {"ecu_key", key.public_key().to_json()},
                                {"ecu_key_id", key.public_key().key_id()}}
                               .dump(2);
    ok({"enroll", repo.string(), "--enrollment", file.string()});
    return key;
  }

  Json image_targets() { return json_of(newest(repo / "image", "targets"))["signed"]["targets"]; }

  fs::path payload_of(const std::string& name) {
    const std::string sha = image_targets()[name]["hashes"]["sha256"];
    return repo / "image/targets" / (sha + "." + name);
  }
};

test::Bytes decode(const test::Bytes& payload, std::span<const std::byte> reference = {}) {
  streaming::MemorySink sink(256u << 20);
  streaming::ZstdDecoderOptions options;
  options.reference = reference;
  streaming::ZstdDecoder decoder(sink, "payload", options);
  EXPECT_TRUE(decoder.write(payload));
  EXPECT_TRUE(decoder.finish());
  const auto bytes = test::as_bytes(sink.data());
  return {bytes.begin(), bytes.end()};
}

TEST_F(RatchetRepo, HelpOnEveryCommand) {
  for (const char* c : {"init", "add-target", "assign", "rotate-key", "delegate", "bundle", "info",
                        "serve", "provisioning-record", "provisioning-keygen"}) {
    const auto r = tool({c, "--help"});
    EXPECT_EQ(r.exit_code, 0) << c;
    EXPECT_NE(r.out.find("--"), std::string::npos) << c;
  }
  const auto r = tool({"add-target", repo.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("error: InvalidArgument: "), std::string::npos) << r.err;
}

TEST_F(RatchetRepo, InitPublishesAndRefusesAnExistingRepository) {
  const auto init = tool({"init", repo.string(), "--key-type", "ecdsa", "--expires-days", "30"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  // One line that says what to hand to the factory.
  EXPECT_NE(init.out.find("--director-root " + repo.string() + "/director-root.json --image-root " +
                          repo.string() + "/image/1.root.json"),
            std::string::npos)
      << init.out;
  EXPECT_TRUE(fs::is_regular_file(repo / "director-root.json"));
  for (const char* f :
       {"1.root.json", "root.json", "timestamp.json", "1.snapshot.json", "1.targets.json"})
    EXPECT_TRUE(fs::is_regular_file(repo / "image" / f)) << f;
  const Json root = json_of(repo / "image/1.root.json");
  EXPECT_EQ(root["signed"]["keys"].begin().value()["keytype"], "ecdsa");
  int keys = 0;
  for (const auto& k : fs::directory_iterator(repo / "private/image/keys")) {
    struct stat st {};
    ASSERT_EQ(::stat(k.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600U) << k.path();
    ++keys;
  }
  EXPECT_EQ(keys, 4);
  const auto again = tool({"init", repo.string()});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("error: InvalidArgument: "), std::string::npos) << again.err;
  const auto bad = tool({"init", (dir / "other").string(), "--key-type", "dsa"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("error: InvalidArgument: "), std::string::npos) << bad.err;
}

TEST_F(RatchetRepo, PayloadsDecodeToTheirImagesAndChunkListsMatch) {
  init_with_v1("zstd");
  ok({"add-target",
      repo.string(),
      "--image",
      (dir / "v2.img").string(),
      "--name",
      "fw-2.img",
      "--hardware-id",
      "board-a",
      "--hardware-id",
      "board-b",
      "--release-counter",
      "2",
      "--security-version",
      "3",
      "--format",
      "delta",
      "--delta-base",
      "fw-1.img",
      "--chunk-size",
      "65536"});
  // A delta against a target that is itself a delta: its base image is decoded first.
  const test::Bytes v3 = test::edited(v2, 9);
  test::write_bytes(dir / "v3.img", v3);
  ok({"add-target", repo.string(), "--image", (dir / "v3.img").string(), "--name", "fw-3.img",
      "--hardware-id", "board-a", "--release-counter", "3", "--format", "delta", "--delta-base",
      "fw-2.img"});
  ok({"add-target", repo.string(), "--image", (dir / "v3.img").string(), "--name", "fw-3.raw",
      "--hardware-id", "board-a", "--release-counter", "3"});

  const Json targets = image_targets();
  const Json c2 = targets["fw-2.img"]["custom"];
  EXPECT_EQ(c2["hardwareIds"], Json::array({"board-a", "board-b"}));
  EXPECT_EQ(c2["releaseCounter"], 2);
  EXPECT_EQ(c2["ratchet"]["format"], "delta");
  EXPECT_EQ(c2["ratchet"]["securityVersion"], 3);
  EXPECT_EQ(c2["ratchet"]["image"]["length"], v2.size());
  EXPECT_EQ(c2["ratchet"]["image"]["sha256"], to_hex(test::sha256(v2)));
  EXPECT_EQ(
      c2["ratchet"]["deltaBase"],
      (Json{{"name", "fw-1.img"}, {"length", v1.size()}, {"sha256", to_hex(test::sha256(v1))}}));
  EXPECT_EQ(c2["ratchet"]["chunks"]["name"], "fw-2.img.chunks");
  EXPECT_EQ(targets["fw-2.img.chunks"]["custom"],
            (Json{{"hardwareIds", Json::array({"board-a", "board-b"})}}));
  EXPECT_EQ(targets["fw-1.img"]["custom"]["ratchet"]["format"], "zstd");
  EXPECT_FALSE(targets["fw-1.img"]["custom"]["ratchet"].contains("deltaBase"));
  EXPECT_EQ(targets["fw-3.raw"]["custom"]["ratchet"]["format"], "raw");

  // zstd: independent frames; delta: against the base image; raw: the image itself.
  const auto p1 = test::read_bytes(payload_of("fw-1.img"));
  EXPECT_EQ(decode(p1), v1);
  const auto p2 = test::read_bytes(payload_of("fw-2.img"));
  EXPECT_EQ(decode(p2, v1), v2);
  EXPECT_LT(p2.size(), v2.size() / 4) << "a delta should be far smaller than its image";
  EXPECT_EQ(decode(test::read_bytes(payload_of("fw-3.img")), v2), v3);
  EXPECT_EQ(test::read_bytes(payload_of("fw-3.raw")), v3);
  EXPECT_EQ(targets["fw-2.img"]["length"], p2.size());
  EXPECT_EQ(targets["fw-2.img"]["hashes"]["sha256"], to_hex(test::sha256(p2)));

  // The chunk lists: SHA-256 per chunk of the image as it lands in the slot.
  const auto l2 = test::read_bytes(payload_of("fw-2.img.chunks"));
  EXPECT_EQ(c2["ratchet"]["chunks"]["length"], l2.size());
  EXPECT_EQ(c2["ratchet"]["chunks"]["sha256"], to_hex(test::sha256(l2)));
  EXPECT_EQ(text_of(l2), streaming::ChunkList::of_bytes(v2, 65536).value().serialize());
  const auto l1 = test::read_bytes(payload_of("fw-1.img.chunks"));
  EXPECT_EQ(text_of(l1), streaming::ChunkList::of_bytes(v1, 1u << 20).value().serialize());

  // Targets are immutable, and a delta needs a base that is there.
  const auto again =
      tool({"add-target", repo.string(), "--image", (dir / "v2.img").string(), "--name", "fw-1.img",
            "--hardware-id", "board-a", "--release-counter", "9"});
  EXPECT_NE(again.err.find("error: InvalidArgument: "), std::string::npos) << again.err;
  const auto no_base = tool({"add-target", repo.string(), "--image", (dir / "v2.img").string(),
                             "--name", "fw-9.img", "--hardware-id", "board-a", "--release-counter",
                             "9", "--format", "delta", "--delta-base", "nope"});
  EXPECT_NE(no_base.err.find("error: NotFound: "), std::string::npos) << no_base.err;
  EXPECT_FALSE(fs::exists(repo / "private/tmp") && !fs::is_empty(repo / "private/tmp"));
}

TEST_F(RatchetRepo, AssignedTargetIsFetchedFromServeAndAfterKeyRotation) {
  init_with_v1("zstd");
  ok({"assign", repo.string(), "--device", "dev-1", "--ecu", "ecu-1", "--hardware-id", "board-a",
      "--target", "fw-1.img"});
  const Json director = json_of(repo / "director/dev-1/targets.json")["signed"];
  EXPECT_FALSE(fs::exists(repo / "director/dev-1/timestamp.json"));
  EXPECT_FALSE(director["targets"].contains("fw-1.img.chunks"));
  const Json& entry = director["targets"]["fw-1.img"];
  const Json image_entry = image_targets()["fw-1.img"];
  EXPECT_EQ(entry["length"], image_entry["length"]);
  EXPECT_EQ(entry["hashes"], image_entry["hashes"]);
  EXPECT_EQ(entry["custom"]["ratchet"], image_entry["custom"]["ratchet"]);
  EXPECT_EQ(entry["custom"]["ecuIdentifiers"], (Json{{"ecu-1", {{"hardwareId", "board-a"}}}}));

  serve();
  auto r = fetch(base_url);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::read_bytes(dir / "out/fw-1.img"), test::read_bytes(payload_of("fw-1.img")));

  // New keys for the Image repository's targets and root, and the Director's targets and root:
  // the device follows the root chain, and trusts the new metadata.
  ok({"rotate-key", repo.string(), "--image", "--role", "targets"});
  ok({"rotate-key", repo.string(), "--image", "--role", "timestamp"});
  ok({"rotate-key", repo.string(), "--image", "--role", "snapshot"});
  ok({"rotate-key", repo.string(), "--image", "--role", "root"});
  ok({"rotate-key", repo.string(), "--device", "dev-1", "--role", "root"});
  ok({"rotate-key", repo.string(), "--device", "dev-1", "--role", "targets"});
  EXPECT_TRUE(fs::exists(repo / "image/5.root.json"));
  const Json root5 = json_of(repo / "image/5.root.json");
  EXPECT_EQ(root5["signatures"].size(), 2U) << "signed by the old and the new root key";
  const auto rotated =
      tool({"rotate-key", repo.string(), "--image", "--device", "dev-1", "--role", "root"});
  EXPECT_EQ(rotated.exit_code, 2) << rotated.err;
  ok({"add-target", repo.string(), "--image", (dir / "v2.img").string(), "--name", "fw-2.img",
      "--hardware-id", "board-a", "--release-counter", "2", "--format", "delta", "--delta-base",
      "fw-1.img"});
  ok({"assign", repo.string(), "--device", "dev-1", "--ecu", "ecu-1", "--hardware-id", "board-a",
      "--target", "fw-2.img"});
  r = fetch(base_url);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::read_bytes(dir / "out/fw-2.img"), test::read_bytes(payload_of("fw-2.img")));

  // The wrong hardware is refused by the operator tool already.
  const auto wrong = tool({"assign", repo.string(), "--device", "dev-1", "--ecu", "ecu-1",
                           "--hardware-id", "board-z", "--target", "fw-2.img"});
  EXPECT_NE(wrong.err.find("error: InvalidArgument: "), std::string::npos) << wrong.err;
}

TEST_F(RatchetRepo, MultiEcuAssignmentAndDelegatedTargets) {
  init_with_v1();
  ok({"delegate", repo.string(), "--role", "apps", "--paths", "apps/*"});
  ok({"add-target", repo.string(), "--role", "apps", "--image", (dir / "v2.img").string(), "--name",
      "apps/app.img", "--hardware-id", "board-b", "--release-counter", "1"});
  const Json apps = json_of(newest(repo / "image", "apps"))["signed"]["targets"];
  EXPECT_TRUE(apps.contains("apps/app.img"));
  EXPECT_TRUE(apps.contains("apps/app.img.chunks"));
  const auto outside =
      tool({"add-target", repo.string(), "--role", "apps", "--image", (dir / "v2.img").string(),
            "--name", "other.img", "--hardware-id", "board-b", "--release-counter", "1"});
  EXPECT_NE(outside.err.find("error: InvalidArgument: "), std::string::npos) << outside.err;

  ok({"assign", repo.string(), "--device", "dev-1", "--ecu", "ecu-1", "--hardware-id", "board-a",
      "--target", "fw-1.img", "--ecu", "ecu-2", "--hardware-id", "board-b", "--target",
      "apps/app.img"});
  const Json director = json_of(repo / "director/dev-1/targets.json")["signed"]["targets"];
  EXPECT_EQ(director.size(), 2U);
  EXPECT_EQ(director["apps/app.img"]["custom"]["ecuIdentifiers"],
            (Json{{"ecu-2", {{"hardwareId", "board-b"}}}}));

  serve();
  // The device has both ECUs (Uptane 2.0 5.4.4.6 step 8: a Director naming an ECU that is not
  // the device's is refused, so a fetch for one of them alone fails).
  auto r = fetch(base_url, "ecu-2", "board-b");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("error: BadEcuSerial: "), std::string::npos) << r.err;
  r = fetch(base_url, "ecu-2", "board-b", {"--ecu-serial", "ecu-1", "--hardware-id", "board-a"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::read_bytes(dir / "out/apps/app.img"), v2);
  EXPECT_EQ(test::read_bytes(dir / "out/fw-1.img"), v1);
}

TEST_F(RatchetRepo, BundleDirectoryAndTarHoldOnlyWhatTheDeviceNeeds) {
  init_with_v1();
  ok({"add-target", repo.string(), "--image", (dir / "v2.img").string(), "--name", "fw-2.img",
      "--hardware-id", "board-a", "--release-counter", "2", "--format", "delta", "--delta-base",
      "fw-1.img"});
  ok({"assign", repo.string(), "--device", "dev-1", "--ecu", "ecu-1", "--hardware-id", "board-a",
      "--target", "fw-2.img"});
  ok({"bundle", repo.string(), "--device", "dev-1", "--out", (dir / "usb").string()});
  const fs::path b = dir / "usb";
  EXPECT_EQ(test::read_bytes(b / "director/targets.json"),
            test::read_bytes(repo / "director/dev-1/targets.json"));
  EXPECT_TRUE(fs::is_regular_file(b / "director/1.root.json"));
  EXPECT_EQ(test::read_bytes(b / "image/timestamp.json"),
            test::read_bytes(repo / "image/timestamp.json"));
  std::set<std::string> files;
  for (const auto& f : fs::directory_iterator(b / "image/targets"))
    files.insert(f.path().filename().string());
  EXPECT_EQ(files, (std::set<std::string>{payload_of("fw-2.img").filename().string(),
                                          payload_of("fw-2.img.chunks").filename().string()}))
      << "the delta's base is not assigned, so it is not in the bundle";
  const Json info = json_of(b / "bundle.json");
  EXPECT_EQ(info["device"], "dev-1");
  EXPECT_TRUE(info["created"].get<std::string>().ends_with("Z"));

  // The .tar holds the same tree: GNU tar reads it back.
  ok({"bundle", repo.string(), "--device", "dev-1", "--out", (dir / "usb.tar").string()});
  fs::create_directory(dir / "untar");
  const auto untar = test::run_process(
      {"tar", "--format=ustar", "-xf", (dir / "usb.tar").string(), "-C", (dir / "untar").string()});
  ASSERT_EQ(untar.exit_code, 0) << untar.err;
  for (const auto& f : fs::recursive_directory_iterator(b)) {
    if (!f.is_regular_file() || f.path().filename() == "bundle.json") continue;
    const auto rel = fs::relative(f.path(), b);
    EXPECT_EQ(test::read_bytes(dir / "untar" / rel), test::read_bytes(f.path())) << rel;
  }
  EXPECT_EQ(json_of(dir / "untar/bundle.json")["device"], "dev-1");

  const auto exists = tool({"bundle", repo.string(), "--device", "dev-1", "--out", b.string()});
  EXPECT_NE(exists.err.find("error: InvalidArgument: "), std::string::npos) << exists.err;
  const auto nobody =
      tool({"bundle", repo.string(), "--device", "dev-9", "--out", (dir / "x").string()});
  EXPECT_NE(nobody.err.find("error: NotFound: "), std::string::npos) << nobody.err;
}

TEST_F(RatchetRepo, ServeRangesPathsAndManifests) {
  init_with_v1();
  ok({"assign", repo.string(), "--device", "dev-1", "--ecu", "ecu-1", "--hardware-id", "board-a",
      "--target", "fw-1.img"});
  serve();
  const std::string root = text_of(repo / "image/1.root.json");
  auto r = http(base_url + "/image/1.root.json");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, root);
  r = http(base_url + "/image/1.root.json", "10-19");
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(r.body, root.substr(10, 10));
  r = http(base_url + "/image/1.root.json", "100000000-");
  EXPECT_EQ(r.status, 416);
  const std::string payload = "/image/targets/" + payload_of("fw-1.img").filename().string();
  r = http(base_url + payload, "1000000-");
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(r.body.size(), v1.size() - 1000000);
  EXPECT_EQ(http(base_url + "/director/dev-1/targets.json").body,
            text_of(repo / "director/dev-1/targets.json"));

  // Nothing outside image/ and director/<id>/ is reachable: not private/, not by "..".
  for (const char* path :
       {"/private/config.json", "/image/../private/config.json",
        "/image/%2e%2e/private/config.json", "/director/../private/image/state.json",
        "/director/dev-1/../../private/config.json", "/image//etc/passwd", "/manifests/dev-1.json",
        "/image/targets"})
    EXPECT_EQ(http(base_url + path).status, 404) << path;

  // Manifests: stored atomically per device; bounded; JSON only; known devices only; signed by
  // the device (ServeStoresOnlyManifestsTheDeviceSigned).
  const auto key = enroll("dev-1");
  const std::string manifest = signed_manifest(key, "dev-1");
  EXPECT_EQ(http(base_url + "/director/dev-1/manifest", "", manifest).status, 200);
  EXPECT_EQ(text_of(repo / "manifests/dev-1.json"), manifest);
  EXPECT_EQ(http(base_url + "/director/dev-1/manifest", "", std::string("not json")).status, 400);
  EXPECT_EQ(http(base_url + "/director/dev-9/manifest", "", manifest).status, 404);
  EXPECT_EQ(http(base_url + "/director/dev-1/manifest", "", std::string(2u << 20, ' ')).status,
            413);
  EXPECT_EQ(text_of(repo / "manifests/dev-1.json"), manifest);

  // SIGTERM stops it cleanly.
  EXPECT_EQ(server->stop(), 0) << server->err();
}

TEST_F(RatchetRepo, ServeStoresOnlyManifestsTheDeviceSigned) {
  init_with_v1();
  for (const char* device : {"dev-1", "dev-2"})
    ok({"assign", repo.string(), "--device", device, "--ecu", "ecu-1", "--hardware-id", "board-a",
        "--target", "fw-1.img"});
  const auto key = enroll("dev-1");
  // Enrolling the same key again writes nothing.
  const auto enrolled = fs::last_write_time(repo / "devices/dev-1.json");
  const auto again_file = dir / "again.json";
  std::ofstream(again_file) << Json{{"device_id", "dev-1"},
                                    {"ecu_key", key.public_key().to_json()}};
  ok({"enroll", repo.string(), "--enrollment", again_file.string()});
  EXPECT_EQ(fs::last_write_time(repo / "devices/dev-1.json"), enrolled);
  serve();
  const auto put = [&](const std::string& device, const std::string& body) {
    return http(base_url + "/director/" + device + "/manifest", "", body).status;
  };
  // Forged: signed by another key, under the device's key ID, for another vin, unsigned, or
  // tampered with after signing; and a device with no key enrolled. None is stored.
  const std::string forged = signed_manifest(ecu_key(), "dev-1");
  EXPECT_EQ(put("dev-1", forged), 403);
  Json relabelled = Json::parse(forged);
  relabelled["signatures"][0]["keyid"] = key.public_key().key_id();
  EXPECT_EQ(put("dev-1", relabelled.dump()), 403);
  EXPECT_EQ(put("dev-1", signed_manifest(key, "dev-2")), 403);
  Json tampered = Json::parse(signed_manifest(key, "dev-1"));
  tampered["signed"]["report_counter"] = 99;
  EXPECT_EQ(put("dev-1", tampered.dump()), 403);
  Json unsigned_one = tampered;
  unsigned_one["signatures"] = Json::array();
  EXPECT_EQ(put("dev-1", unsigned_one.dump()), 403);
  EXPECT_EQ(put("dev-1", R"({"signed":{"vin":"dev-1"}})"), 400);
  EXPECT_EQ(put("dev-2", signed_manifest(ecu_key(), "dev-2")), 403);  // dev-2 never enrolled
  EXPECT_FALSE(fs::exists(repo / "manifests/dev-1.json"));
  EXPECT_FALSE(fs::exists(repo / "manifests/dev-2.json"));
  // The real one is stored as it came.
  const std::string good = signed_manifest(key, "dev-1", 7);
  EXPECT_EQ(put("dev-1", good), 200);
  EXPECT_EQ(text_of(repo / "manifests/dev-1.json"), good);
  EXPECT_EQ(put("dev-1", forged), 403);
  EXPECT_EQ(text_of(repo / "manifests/dev-1.json"), good);
  EXPECT_NE(server->err().find("manifest of dev-1 refused: BadSignature: "), std::string::npos)
      << server->err();
  // A bad enrollment is refused naming the file.
  std::ofstream(dir / "bad.json") << R"({"device_id":"dev-1"})";
  const auto bad = tool({"enroll", repo.string(), "--enrollment", (dir / "bad.json").string()});
  EXPECT_NE(bad.err.find("error: BadMetadata: " + (dir / "bad.json").string()), std::string::npos)
      << bad.err;
}

// A TCP connection to the server that sends `first` (maybe nothing) and then stays silent.
UniqueFd half_open(const std::string& base_url, const std::string& first = "") {
  const auto port = static_cast<std::uint16_t>(std::stoi(base_url.substr(base_url.rfind(':') + 1)));
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
  if (!first.empty()) {
    EXPECT_EQ(::send(fd.get(), first.data(), first.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(first.size()));
  }
  return fd;
}

std::size_t threads_of(pid_t pid) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e :
       fs::directory_iterator("/proc/" + std::to_string(pid) + "/task"))
    ++n;
  return n;
}

// Whether the server closed `fd` (EOF or reset) within a generous limit: it must, by itself.
bool closed_by_server(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 30000) != 1) return false;
  char c = 0;
  return ::recv(fd, &c, 1, 0) <= 0;
}

TEST_F(RatchetRepo, ServeBoundsConnectionsAndStillAnswers) {
  init_with_v1();
  serve({"--max-connections", "8"});
  const std::size_t idle_threads = threads_of(server->pid());
  // 200 connections that never send a request (or only half a header): a thread each, before.
  std::vector<UniqueFd> attack;
  for (int i = 0; i < 200; ++i)
    attack.push_back(half_open(base_url, i % 2 == 0 ? "" : "GET /image/1.root.json HTTP/1.1\r\n"));
  // Accepted in order, so once this one is answered every one above has been dealt with.
  const auto r = http(base_url + "/image/1.root.json");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, text_of(repo / "image/1.root.json"));
  EXPECT_LE(threads_of(server->pid()), idle_threads + 8);
  EXPECT_TRUE(closed_by_server(attack.front().get()));  // the longest waiting went first
}

TEST_F(RatchetRepo, ServeClosesIdleAndSlowConnections) {
  init_with_v1();
  serve({"--idle-timeout", "0.2", "--request-timeout", "0.2"});
  const auto idle = half_open(base_url);
  const auto slow_header = half_open(base_url, "GET /image/1.root.json HTTP/1.1\r\nHost: x\r\n");
  const auto slow_body = half_open(base_url,
                                   "PUT /director/dev-1/manifest HTTP/1.1\r\nHost: x\r\n"
                                   "Content-Length: 100\r\n\r\n{");
  EXPECT_TRUE(closed_by_server(idle.get()));
  EXPECT_TRUE(closed_by_server(slow_header.get()));
  EXPECT_TRUE(closed_by_server(slow_body.get()));
  EXPECT_EQ(http(base_url + "/image/1.root.json").status, 200);  // and it still serves
}

TEST_F(RatchetRepo, ServeFaultsAreWhatADeviceSees) {
  init_with_v1();
  ok({"assign", repo.string(), "--device", "dev-1", "--ecu", "ecu-1", "--hardware-id", "board-a",
      "--target", "fw-1.img"});
  const std::string payload = "/image/targets/" + payload_of("fw-1.img").filename().string();
  const std::string root = text_of(repo / "image/1.root.json");

  serve({"--fault", "wrong-length"});
  auto r = http(base_url + "/image/1.root.json");
  EXPECT_EQ(r.code, CURLE_PARTIAL_FILE);
  EXPECT_EQ(r.body, root) << "the whole file, under a longer Content-Length";

  serve({"--fault", "drop"});
  r = http(base_url + payload);
  EXPECT_EQ(r.code, CURLE_PARTIAL_FILE);
  EXPECT_EQ(r.body.size(), v1.size() / 2);

  serve({"--fault", "endless"});
  r = http(base_url + "/image/timestamp.json");
  EXPECT_EQ(r.code, CURLE_WRITE_ERROR) << "stopped by the client's bound, not by the server";
  auto f = fetch(base_url);
  EXPECT_EQ(f.exit_code, 1);
  EXPECT_NE(f.err.find("error: TooLarge: "), std::string::npos) << f.err;

  serve({"--fault", "slow"});
  f = fetch(base_url, "ecu-1", "board-a", {"--min-rate", "65536", "--low-speed-time", "1"});
  EXPECT_EQ(f.exit_code, 1);
  EXPECT_NE(f.err.find("error: SlowRetrieval: "), std::string::npos) << f.err;
}

TEST_F(RatchetRepo, ReplayServesThePreviousMetadataAndIsRefused) {
  init_with_v1();
  ok({"assign", repo.string(), "--device", "dev-1", "--ecu", "ecu-1", "--hardware-id", "board-a",
      "--target", "fw-1.img"});
  ok({"add-target", repo.string(), "--image", (dir / "v2.img").string(), "--name", "fw-2.img",
      "--hardware-id", "board-a", "--release-counter", "2"});
  ok({"assign", repo.string(), "--device", "dev-1", "--ecu", "ecu-1", "--hardware-id", "board-a",
      "--target", "fw-2.img"});
  serve();
  auto r = fetch(base_url);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto before = test::read_bytes(dir / "state/data.mdb");

  serve({"--fault", "replay"});
  const auto ts = http(base_url + "/image/timestamp.json");
  EXPECT_EQ(ts.status, 200);
  EXPECT_EQ(Json::parse(ts.body)["signed"]["version"],
            json_of(repo / "image/timestamp.json")["signed"]["version"].get<int>() - 1);
  r = fetch(base_url);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("error: RollbackAttempt: "), std::string::npos) << r.err;
  EXPECT_EQ(test::read_bytes(dir / "state/data.mdb"), before);
  const auto targets = http(base_url + "/director/dev-1/targets.json");
  EXPECT_EQ(Json::parse(targets.body)["signed"]["targets"].begin().key(), "fw-1.img");
}

TEST_F(RatchetRepo, ProvisioningKeysAndRecords) {
  init_with_v1();
  ok({"assign", repo.string(), "--device", "dev-1", "--ecu", "ecu-1", "--hardware-id", "board-a",
      "--target", "fw-1.img"});
  ok({"provisioning-keygen", "--out-private", (dir / "prov.pem").string(), "--out-keys",
      (dir / "keys.json").string()});
  struct stat st {};
  ASSERT_EQ(::stat((dir / "prov.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  ok({"provisioning-record", "--key", (dir / "prov.pem").string(), "--device", "dev-1",
      "--generation", "4", "--director-root", (repo / "director/dev-1/1.root.json").string(),
      "--image-root", (repo / "image/1.root.json").string(), "--security-version", "2", "--out",
      (dir / "record.json").string()});
  const auto keys =
      provisioning::parse_provisioning_keys(text_of(dir / "keys.json"), "keys.json").value();
  const auto record =
      provisioning::verify_provisioning_record(text_of(dir / "record.json"), keys, "record");
  ASSERT_TRUE(record) << record.error().to_string();
  EXPECT_EQ(record->device_id, "dev-1");
  EXPECT_EQ(record->generation, 4U);
  EXPECT_EQ(record->security_version, 2U);
  EXPECT_EQ(Json::parse(record->image_root), json_of(repo / "image/1.root.json"));
  const auto again = tool({"provisioning-keygen", "--out-private", (dir / "prov.pem").string(),
                           "--out-keys", (dir / "k2.json").string()});
  EXPECT_NE(again.err.find("error: InvalidArgument: "), std::string::npos) << again.err;
}

// The repository is plain static files: Debian's nginx serves it to `ratchet fetch` as well.
TEST_F(RatchetRepo, NginxServesTheRepositoryAsStaticFiles) {
  if (!test::Nginx::available())
    GTEST_SKIP() << "nginx is not installed (scripts/setup.sh installs it)";
  init_with_v1("zstd");
  ok({"assign", repo.string(), "--device", "dev-1", "--ecu", "ecu-1", "--hardware-id", "board-a",
      "--target", "fw-1.img"});
  // Only image/ and director/ are served; private/ (keys) never is.
  test::Nginx server(dir / "nginx", repo, R"(
    location /image/ { }
    location /director/ { }
    location / { return 404; })");
  const unsigned short port = server.port();
  const std::string url = fmt::format("http://127.0.0.1:{}", port);
  EXPECT_EQ(http(url + "/private/config.json").status, 404);
  const auto r = fetch(url);
  ASSERT_EQ(r.exit_code, 0) << r.err << server.err();
  EXPECT_EQ(test::read_bytes(dir / "out/fw-1.img"), test::read_bytes(payload_of("fw-1.img")));
  (void)server.stop();
}

}  // namespace
}  // namespace ratchet
