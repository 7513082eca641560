// Signatures across implementations: keys and signatures made by python3-securesystemslib
// verify here, and signatures made here verify there, for ed25519, ECDSA P-256 and RSA-PSS.
#include "agent/tuf/keys.hpp"

#include <gtest/gtest.h>

#include "common/hex.hpp"
#include "tests/support/data.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace ratchet::tuf {
namespace {

const char* kPython = R"PY(
import json, sys
from securesystemslib import keys
mode, msg_hex = sys.argv[1], sys.argv[2]
msg = bytes.fromhex(msg_hex)
if mode == "sign":
    out = []
    for key in (keys.generate_ed25519_key(), keys.generate_ecdsa_key(), keys.generate_rsa_key()):
        sig = keys.create_signature(key, msg)
        pub = {k: v for k, v in key.items() if k in ("keytype", "scheme")}
        pub["keyval"] = {"public": key["keyval"]["public"]}
        out.append({"key": pub, "sig": sig["sig"]})
    print(json.dumps(out))
else:
    for item in json.loads(sys.stdin.read() if False else open(sys.argv[3]).read()):
        key = dict(item["key"]); key["keyid"] = "ab"
        ok = keys.verify_signature(key, {"keyid": "ab", "sig": item["sig"]}, msg)
        print("ok" if ok else "bad")
)PY";

TEST(Keys, SecuresystemslibSignaturesVerifyHere) {
  const std::string msg = R"({"_type":"root","version":1})";
  auto r =
      test::run_process({"/usr/bin/python3", "-c", kPython, "sign", to_hex(test::as_bytes(msg))});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto items = Json::parse(r.out);
  ASSERT_EQ(items.size(), 3U);
  for (const auto& item : items) {
    auto key = PublicKey::from_json(item["key"], "python key");
    ASSERT_TRUE(key) << key.error().to_string() << " " << item["key"].dump();
    const auto sig = from_hex(item["sig"].get<std::string>()).value();
    EXPECT_TRUE(key->verify(test::as_bytes(msg), sig)) << key->scheme();
    auto tampered = sig;
    tampered[tampered.size() / 2] ^= std::byte{1};
    EXPECT_EQ(key->verify(test::as_bytes(msg), tampered).error().code(), Code::BadSignature)
        << key->scheme();
    EXPECT_EQ(key->verify(test::as_bytes(msg + " "), sig).error().code(), Code::BadSignature);
  }
}

TEST(Keys, SignaturesMadeHereVerifyInSecuresystemslib) {
  test::TempDir dir;
  const std::string msg = R"({"_type":"targets","version":7})";
  Json items = Json::array();
  for (auto type : {KeyType::Ed25519, KeyType::EcdsaP256, KeyType::Rsa}) {
    auto key = PrivateKey::generate(type);
    ASSERT_TRUE(key) << key.error().to_string();
    const auto sig = key->sign(test::as_bytes(msg)).value();
    items.push_back(Json{{"key", key->public_key().to_json()}, {"sig", to_hex(sig)}});
  }
  test::write_bytes(dir / "items.json", test::as_bytes(items.dump()));
  auto r = test::run_process({"/usr/bin/python3", "-c", kPython, "verify",
                              to_hex(test::as_bytes(msg)), (dir / "items.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ok\nok\nok\n");
}

TEST(Keys, AktualizrDialectKeysAndBase64) {
  auto key = PrivateKey::generate(KeyType::Ed25519).value();
  Json akt{{"keytype", "ED25519"},
           {"keyval", Json{{"public", key.public_key().to_json()["keyval"]["public"]}}}};
  auto parsed = PublicKey::from_json(akt, "aktualizr key");
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  EXPECT_EQ(parsed->scheme(), "ed25519");
  const auto sig = key.sign(test::as_bytes("m")).value();
  EXPECT_TRUE(parsed->verify(test::as_bytes("m"), base64_decode(base64_encode(sig)).value()));
  EXPECT_EQ(base64_encode(test::as_bytes("hello")), "aGVsbG8=");
  EXPECT_EQ(base64_decode("aGVsbG8=").value(),
            std::vector<std::byte>(test::as_bytes("hello").begin(), test::as_bytes("hello").end()));
  EXPECT_FALSE(base64_decode("aGVsbG8"));
}

TEST(Keys, RejectsWeakOrMismatchedKeys) {
  EXPECT_EQ(PublicKey::from_json(Json{{"keytype", "ed25519"},
                                      {"scheme", "rsassa-pss-sha256"},
                                      {"keyval", Json{{"public", std::string(64, 'a')}}}},
                                 "k")
                .error()
                .code(),
            Code::BadKey);
  EXPECT_EQ(
      PublicKey::from_json(Json{{"keytype", "ed25519"}, {"keyval", Json{{"public", "abcd"}}}}, "k")
          .error()
          .code(),
      Code::BadKey);
  EXPECT_EQ(PublicKey::from_json(Json{{"keytype", "dsa"}, {"keyval", Json{{"public", "x"}}}}, "k")
                .error()
                .code(),
            Code::BadKey);
}

TEST(Keys, PemRoundTripKeepsTheKeyId) {
  for (auto type : {KeyType::Ed25519, KeyType::EcdsaP256}) {
    auto key = PrivateKey::generate(type).value();
    auto back = PrivateKey::from_pem(key.to_pem().value());
    ASSERT_TRUE(back) << back.error().to_string();
    EXPECT_EQ(back->public_key().key_id(), key.public_key().key_id());
  }
}

}  // namespace
}  // namespace ratchet::tuf
