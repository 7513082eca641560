// Metadata as aktualizr's Uptane servers (OTA Community Edition, Torizon) serve it: capitalised
// _type, no spec_version, signatures {keyid, method, sig (base64)}, keys {keytype: ED25519|RSA,
// keyval.public} without a scheme. One verifier, two parsers.
#include <gtest/gtest.h>

#include "agent/tuf/metadata.hpp"
#include "common/hex.hpp"
#include "tests/support/data.hpp"

namespace ratchet::tuf {
namespace {

Json aktualizr_key(const PrivateKey& k) {
  const Json tuf = k.public_key().to_json();
  return Json{{"keytype", k.public_key().type() == KeyType::Rsa ? "RSA" : "ED25519"},
              {"keyval", Json{{"public", tuf["keyval"]["public"]}}}};
}

std::string sign_aktualizr(const Json& signed_part, const std::vector<const PrivateKey*>& keys,
                           const std::vector<std::string>& ids) {
  const std::string canon = canonical_json(signed_part).value();
  Json sigs = Json::array();
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const auto sig = keys[i]->sign(test::as_bytes(canon)).value();
    sigs.push_back(Json{
        {"keyid", ids[i]},
        {"method", keys[i]->public_key().type() == KeyType::Rsa ? "rsassa-pss-sha256" : "ed25519"},
        {"sig", base64_encode(sig)}});
  }
  return Json{{"signatures", sigs}, {"signed", signed_part}}.dump();
}

TEST(AktualizrDialect, RootAndDirectorTargetsVerify) {
  auto ed = PrivateKey::generate(KeyType::Ed25519).value();
  auto rsa = PrivateKey::generate(KeyType::Rsa).value();
  const Json role{{"keyids", Json::array({"k-ed", "k-rsa"})}, {"threshold", 2}};
  const Json root_signed{
      {"_type", "Root"},
      {"version", 1},
      {"expires", "2030-01-01T00:00:00Z"},
      {"consistent_snapshot", false},
      {"keys", Json{{"k-ed", aktualizr_key(ed)}, {"k-rsa", aktualizr_key(rsa)}}},
      {"roles", Json{{"root", role}, {"timestamp", role}, {"snapshot", role}, {"targets", role}}}};
  const std::string root_bytes = sign_aktualizr(root_signed, {&ed, &rsa}, {"k-ed", "k-rsa"});
  auto env = parse_envelope(root_bytes, "director root", 1 << 20);
  ASSERT_TRUE(env) << env.error().to_string();
  auto root = parse_root(*env, "director root");
  ASSERT_TRUE(root) << root.error().to_string();
  EXPECT_EQ(root->keys.size(), 2U);
  EXPECT_TRUE(verify_role(*env, root->keys, root->roles.at("root"), "director root"));

  const Json targets_signed{
      {"_type", "Targets"},
      {"version", 7},
      {"expires", "2030-01-01T00:00:00Z"},
      {"targets",
       Json{{"fw.bin",
             Json{{"length", 5},
                  {"hashes", Json{{"sha256", to_hex(test::sha256(test::as_bytes("hello")))}}},
                  {"custom",
                   Json{{"ecuIdentifiers", Json{{"SERIAL1", Json{{"hardwareId", "hw-a"}}}}}}}}}}}};
  auto tenv = parse_envelope(sign_aktualizr(targets_signed, {&ed, &rsa}, {"k-ed", "k-rsa"}),
                             "director targets", 1 << 20);
  ASSERT_TRUE(tenv) << tenv.error().to_string();
  EXPECT_TRUE(verify_role(*tenv, root->keys, root->roles.at("targets"), "director targets"));
  auto targets = parse_targets(*tenv, "director targets");
  ASSERT_TRUE(targets) << targets.error().to_string();
  EXPECT_EQ(targets->targets.at("fw.bin").custom["ecuIdentifiers"]["SERIAL1"]["hardwareId"],
            "hw-a");
  // One signature short of the threshold of two.
  auto one =
      parse_envelope(sign_aktualizr(targets_signed, {&ed}, {"k-ed"}), "director targets", 1 << 20);
  EXPECT_EQ(
      verify_role(*one, root->keys, root->roles.at("targets"), "director targets").error().code(),
      Code::ThresholdNotMet);
}

TEST(AktualizrDialect, WrongTypeIsRefusedEvenCapitalised) {
  auto ed = PrivateKey::generate(KeyType::Ed25519).value();
  const Json s{{"_type", "Targets"},
               {"version", 1},
               {"expires", "2030-01-01T00:00:00Z"},
               {"targets", Json::object()}};
  auto env = parse_envelope(sign_aktualizr(s, {&ed}, {"k"}), "x", 1 << 20).value();
  auto r = parse_root(env, "director root");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::BadMetadata);
  EXPECT_NE(r.error().message().find("_type is 'Targets', expected 'root'"), std::string::npos);
}

}  // namespace
}  // namespace ratchet::tuf
