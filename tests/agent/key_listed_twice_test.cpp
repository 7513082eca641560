// One public key listed under two key IDs (tough GHSA-5q2r-92f9-4m49, go-tuf#733): the key's
// material is the same whatever spells it, and a threshold of 2 is never met by one key -- in a
// root (its own role and the roles it delegates to) and in a delegation. The trusted metadata
// stays byte-for-byte as it was.
#include <gtest/gtest.h>

#include "agent/tuf/directory_store.hpp"
#include "agent/tuf/updater.hpp"
#include "repo/tuf_repository.hpp"
#include "tests/support/data.hpp"
#include "tests/support/key_twice.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace ratchet::tuf {
namespace {

constexpr Seconds kNow = 1893456000;  // 2030-01-01

std::string text_of(const std::filesystem::path& path) {
  const auto b = test::read_bytes(path);
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::map<std::string, std::string> files_in(const std::filesystem::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    files[e.path().filename().string()] = text_of(e.path());
  return files;
}

TEST(KeyMaterial, IsTheKeyWhateverSpellsIt) {
  for (const auto type : {KeyType::Ed25519, KeyType::EcdsaP256, KeyType::Rsa}) {
    const auto key = PrivateKey::generate(type).value().public_key();
    const Json again = test::respelled(key);
    const auto parsed = PublicKey::from_json(again, "respelled").value();
    EXPECT_NE(test::key_id_of(again), key.key_id());
    EXPECT_EQ(parsed.material(), key.material());
    EXPECT_NE(PrivateKey::generate(type).value().public_key().material(), key.material());
  }
  // A P-256 key as a PEM with the compressed point: another text, the same key.
  test::TempDir dir;
  const auto key = PrivateKey::generate(KeyType::EcdsaP256).value().public_key();
  test::write_bytes(dir / "pub.pem",
                    test::as_bytes(key.to_json()["keyval"]["public"].get<std::string>()));
  const auto r = test::run_process(
      {"openssl", "ec", "-pubin", "-in", (dir / "pub.pem").string(), "-conv_form", "compressed"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json compressed = key.to_json();
  compressed["keyval"]["public"] = r.out;
  ASSERT_NE(r.out, key.to_json()["keyval"]["public"]);
  EXPECT_EQ(PublicKey::from_json(compressed, "compressed").value().material(), key.material());
}

class KeyListedTwice : public ::testing::Test {
 protected:
  test::TempDir dir;
  std::optional<TufRepository> repo = TufRepository::create(kNow).value();

  void SetUp() override {
    repo->add_target("file.txt", "hello");
    ASSERT_TRUE(repo->publish(dir / "repo"));
    std::filesystem::create_directories(dir / "md");
    test::write_bytes(dir / "md/root.json", test::as_bytes(repo->root_bytes(1)));
  }

  Result<TargetFile> refresh_and_find(const std::string& target) {
    DirectoryStore store(dir / "md");
    DirectoryFetcher fetcher(dir / "repo");
    UpdaterOptions o;
    o.now = [] { return kNow; };
    Updater u(store, fetcher, o);
    RATCHET_TRY(u.refresh());
    return u.find_target(target);
  }

  // Root v2 lists `role`'s key a second time with threshold 2; returns the second key ID.
  std::string root_listing_twice(const std::string& role, bool sign_root_twice) {
    repo->bump("root");
    Json& root = repo->signed_part("root");
    const auto& key = repo->keys(role).front().public_key();
    std::string alias = test::list_key_twice(root["keys"], root["roles"][role], key);
    std::string bytes = repo->sign("root").value();
    if (sign_root_twice) bytes = test::sign_twice(bytes, key.key_id(), alias);
    test::write_bytes(dir / "repo/2.root.json", test::as_bytes(bytes));
    return alias;
  }
};

TEST_F(KeyListedTwice, RootSignedByOneKeyUnderTwoIdsIsBelowItsThreshold) {
  ASSERT_TRUE(refresh_and_find("file.txt"));
  const auto before = files_in(dir / "md");
  (void)root_listing_twice("root", true);
  const auto r = refresh_and_find("file.txt");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::ThresholdNotMet) << r.error().to_string();
  EXPECT_NE(r.error().message().find("root v2 (by its own keys): 1 of 2"), std::string::npos)
      << r.error().message();
  EXPECT_EQ(files_in(dir / "md"), before);
}

TEST_F(KeyListedTwice, TargetsSignedByOneKeyUnderTwoIdsIsBelowItsThreshold) {
  ASSERT_TRUE(refresh_and_find("file.txt"));
  const auto key_id = repo->keys("targets").front().public_key().key_id();
  const std::string alias = root_listing_twice("targets", false);
  const auto path = dir / "repo/1.targets.json";
  test::write_bytes(path, test::as_bytes(test::sign_twice(text_of(path), key_id, alias)));
  auto before = files_in(dir / "md");
  const auto r = refresh_and_find("file.txt");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::ThresholdNotMet) << r.error().to_string();
  EXPECT_NE(r.error().message().find("targets v1: 1 of 2"), std::string::npos)
      << r.error().message();
  // The new root verified (and a directory store keeps it at once, as python-tuf does); the
  // trusted targets did not change.
  auto after = files_in(dir / "md");
  EXPECT_NE(after.at("root.json"), before.at("root.json"));
  after.erase("root.json");
  before.erase("root.json");
  EXPECT_EQ(after, before);
}

TEST_F(KeyListedTwice, DelegatedRoleSignedByOneKeyUnderTwoIdsIsBelowItsThreshold) {
  const auto key = repo->add_delegation("targets", "apps", {"apps/*"}).value();
  repo->add_target("apps/a.bin", "delegated", Json::object(), "apps");
  Json& delegations = repo->signed_part("targets")["delegations"];
  const std::string alias =
      test::list_key_twice(delegations["keys"], delegations["roles"][0], key.public_key());
  ASSERT_TRUE(repo->publish(dir / "repo"));
  const auto path = dir / fmt::format("repo/{}.apps.json", repo->version("apps"));
  test::write_bytes(
      path, test::as_bytes(test::sign_twice(text_of(path), key.public_key().key_id(), alias)));
  const auto r = refresh_and_find("apps/a.bin");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::ThresholdNotMet) << r.error().to_string();
  EXPECT_NE(r.error().message().find("apps v1: 1 of 2"), std::string::npos) << r.error().message();
  EXPECT_FALSE(std::filesystem::exists(dir / "md/apps.json"));
}

}  // namespace
}  // namespace ratchet::tuf
