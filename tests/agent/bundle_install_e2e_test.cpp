// `ratchet install` of an archive bundle, read in place: GNU tar's default format, pax and
// zstd-compressed bundles install like a directory; a 48 MiB image installs with the storage
// directory on a 16 MiB tmpfs (nothing image-sized is written outside the slot); a stick mounted
// read-only is enough; a damaged archive is BadBundle (exit 2) and changes nothing.
#include <sys/mount.h>

#include "agent/bundle/bundle_index.hpp"
#include "tests/agent/update_e2e_fixture.hpp"
#include "tests/support/tmpfs.hpp"

namespace ratchet::update {
namespace {

namespace fs = std::filesystem;

class BundleInstallE2E : public UpdateE2E {
 protected:
  // The repositories as they are now, packed by tar with `flags`, the servers gone.
  fs::path pack(const std::string& name, std::vector<std::string> flags) {
    std::vector<std::string> args{"tar", "-C", dir.path().string()};
    args.insert(args.end(), flags.begin(), flags.end());
    args.insert(args.end(), {"-cf", (dir / name).string(), "director", "image"});
    const auto r = test::run_process(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return dir / name;
  }
  test::ProcessResult install(const fs::path& bundle) {
    return ratchet({"install", bundle.string(), "--config", (dir / "ratchet.toml").string()});
  }
  void use_storage_dir(const fs::path& storage) {
    fs::copy(dir / "state", storage, fs::copy_options::recursive);
    std::ifstream in(dir / "ratchet.toml");
    std::stringstream text;
    text << in.rdbuf();
    std::string config = text.str();
    const std::string from = "storage_dir = \"" + (dir / "state").string() + "\"";
    config.replace(config.find(from), from.size(), "storage_dir = \"" + storage.string() + "\"");
    std::ofstream(dir / "ratchet.toml") << config;
  }
  void installs_in_place(const std::string& name, const std::vector<std::string>& flags) {
    assign("rootfs-v2.img", v2, "primary");
    publish();
    const auto bundle = pack(name, flags);
    director_server.reset();  // offline
    image_server.reset();
    expect_exit(install(bundle), 10);
    EXPECT_EQ(slot_b_image(), v2);
    EXPECT_EQ(json_of("status").at("ecus").at("primary").at("trial").at("name"), "rootfs-v2.img");
    EXPECT_FALSE(fs::exists(dir / "state/bundle")) << "nothing is unpacked";
  }
};

TEST_F(BundleInstallE2E, GnuTarsDefaultFormatInstallsInPlace) {
  installs_in_place("gnu.tar", {});
}
TEST_F(BundleInstallE2E, PaxInstallsInPlace) {
  installs_in_place("pax.tar", {"--format=pax"});
}
TEST_F(BundleInstallE2E, ZstdCompressedInstalls) {
  installs_in_place("b.tar.zst", {"--zstd"});
}
TEST_F(BundleInstallE2E, GzipCompressedInstalls) {
  installs_in_place("b.tgz", {"--gzip"});
}

TEST_F(BundleInstallE2E, A48MiBImageInstallsWithTheStorageDirOnA16MiBTmpfs) {
  test::Tmpfs small(dir / "small", 16u << 20);
  if (!small.mounted()) GTEST_SKIP() << small.error();
  const test::Bytes big = test::random_bytes(48u << 20, 3);
  release("rootfs-big.img", big, 2);
  assign("rootfs-big.img", big, "primary");
  publish();
  const auto bundle = pack("big.tar", {});
  director_server.reset();
  image_server.reset();
  use_storage_dir(small / "state");
  expect_exit(install(bundle), 10);
  auto b = test::read_bytes(dir / "slot_b.img");
  b.resize(big.size());
  EXPECT_TRUE(b == big);
  EXPECT_EQ(json_of("status").at("ecus").at("primary").at("trial").at("name"), "rootfs-big.img");
  std::error_code ec;
  EXPECT_LT(fs::space(small / "state", ec).capacity - fs::space(small / "state", ec).available,
            std::uintmax_t{8} << 20)
      << small.listing();
}

TEST_F(BundleInstallE2E, ABundleOnAReadOnlyMountInstalls) {
  test::Tmpfs stick(dir / "stick", 32u << 20);
  if (!stick.mounted()) GTEST_SKIP() << stick.error();
  assign("rootfs-v2.img", v2, "primary");
  publish();
  fs::copy_file(pack("b.tar.zst", {"--zstd"}), stick / "b.tar.zst");
  ASSERT_EQ(::mount(nullptr, (dir / "stick").c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr), 0);
  director_server.reset();
  image_server.reset();
  expect_exit(install(stick / "b.tar.zst"), 10);
  EXPECT_EQ(slot_b_image(), v2);
}

TEST_F(BundleInstallE2E, ADamagedArchiveIsABadBundleAndChangesNothing) {
  assign("rootfs-v2.img", v2, "primary");
  publish();
  const auto bundle = pack("b.tar", {});
  // Flip a byte inside the first header's name: the header checksum no longer matches.
  {
    std::fstream f(bundle, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(3);
    f.put('#');
  }
  const Json floors = json_of("status").at("floors");
  const auto env0 = test::read_bytes(env_files.copy0), env1 = test::read_bytes(env_files.copy1);
  const auto slot_a = test::read_bytes(dir / "slot_a.img");
  const auto slot_b = test::read_bytes(dir / "slot_b.img");
  const auto r = install(bundle);
  expect_exit(r, 2, "BadBundle");
  EXPECT_NE(r.err.find(bundle.string()), std::string::npos) << r.err;
  EXPECT_EQ(json_of("status").at("floors"), floors);
  EXPECT_EQ(test::read_bytes(env_files.copy0), env0);
  EXPECT_EQ(test::read_bytes(env_files.copy1), env1);
  EXPECT_EQ(test::read_bytes(dir / "slot_a.img"), slot_a);
  EXPECT_EQ(test::read_bytes(dir / "slot_b.img"), slot_b);
  EXPECT_FALSE(trial().has_value());
}

// An image whose bytes in the archive were changed is refused by verification (exit 30), not as
// a bad archive: the archive is well-formed, the image is not the signed one.
TEST_F(BundleInstallE2E, AnImageChangedInsideTheArchiveIsRejectedBeforeItIsWritten) {
  assign("rootfs-v2.img", v2, "primary");
  publish();
  const auto bundle = pack("b.tar", {});
  const auto index = bundle::index_bundle(bundle, {}).value();
  const std::string name = "image" + v2_path();
  ASSERT_NE(index.find(name), nullptr) << name;
  {
    std::fstream f(bundle, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(*index.find(name)->data_offset + 10));
    f.put('\x55');
    f.put('\xaa');
  }
  const auto slot_b = test::read_bytes(dir / "slot_b.img");
  expect_exit(install(bundle), 30, "ChunkMismatch");
  EXPECT_EQ(test::read_bytes(dir / "slot_b.img"), slot_b);
  EXPECT_FALSE(trial().has_value());
}

// `install --dry-run` runs the whole verification and says what it would do; the store, the
// slots and the boot environment are byte-for-byte what they were.
TEST_F(BundleInstallE2E, ADryRunSaysWhatWouldBeInstalledAndChangesNothing) {
  const auto old = pack("old.tar", {});
  assign("rootfs-v2.img", v2, "primary");
  publish();
  const auto bundle = pack("b.tar.zst", {"--zstd"});
  director_server.reset();
  image_server.reset();
  const auto untouched = [&] {
    return std::vector<test::Bytes>{
        test::read_bytes(dir / "state/data.mdb"), test::read_bytes(env_files.copy0),
        test::read_bytes(env_files.copy1), test::read_bytes(dir / "slot_a.img"),
        test::read_bytes(dir / "slot_b.img")};
  };
  const auto before = untouched();
  auto r = ratchet(
      {"install", "--dry-run", bundle.string(), "--config", (dir / "ratchet.toml").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("compression zstd"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ECU primary: rootfs-v2.img (raw, image 3145728 bytes, payload 3145728 "
                       "bytes, release counter 2, security version 2): would install"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("this device would accept it: 1 of 1 targets to install"), std::string::npos)
      << r.out;
  r = ratchet({"install", "--dry-run", "--json", bundle.string(), "--config",
               (dir / "ratchet.toml").string()});
  const Json plan = Json::parse(r.out);
  EXPECT_EQ(plan["outcome"], "would-install");
  EXPECT_EQ(plan["targets"][0]["name"], "rootfs-v2.img");
  EXPECT_TRUE(untouched() == before) << "a dry run wrote something";

  expect_exit(install(bundle), 10);
  r = ratchet(
      {"install", "--dry-run", bundle.string(), "--config", (dir / "ratchet.toml").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("installed, waiting for its trial boot"), std::string::npos) << r.out;

  // The bundle made before v2 is older than the trusted set: refused, with the real exit code.
  const auto after = untouched();
  r = ratchet({"install", "--dry-run", "--json", old.string(), "--config",
               (dir / "ratchet.toml").string()});
  EXPECT_EQ(r.exit_code, 30) << r.err;
  const Json refused = Json::parse(r.out);
  EXPECT_EQ(refused["outcome"], "refused");
  EXPECT_EQ(refused["error"]["code"], "RollbackAttempt");
  EXPECT_TRUE(untouched() == after);
}

// --json ends with an outcome line on failure too: code, message and exit code.
TEST_F(BundleInstallE2E, JsonEndsWithAnOutcomeLineOnFailure) {
  const auto r = ratchet({"install", "--json", (dir / "nothing.tar").string(), "--config",
                          (dir / "ratchet.toml").string()});
  EXPECT_EQ(r.exit_code, 2);
  const std::string last = r.out.substr(r.out.rfind('{'));
  const Json outcome = Json::parse(last);
  EXPECT_EQ(outcome["outcome"], "failed");
  EXPECT_EQ(outcome["code"], "BadBundle");
  EXPECT_EQ(outcome["exit_code"], 2);
  EXPECT_NE(outcome["message"].get<std::string>().find("nothing.tar"), std::string::npos);
}

}  // namespace
}  // namespace ratchet::update
