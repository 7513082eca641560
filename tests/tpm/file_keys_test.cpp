#include <fstream>

#include <gtest/gtest.h>
#include <openssl/pem.h>

#include "common/handles/openssl.hpp"
#include "tests/support/temp_dir.hpp"
#include "tpm/file_signing_key.hpp"
#include "tpm/file_state_key.hpp"

namespace ratchet::tpm {
namespace {

Digest digest_of(std::uint8_t fill) {
  Digest d{};
  d.fill(fill);
  return d;
}

TEST(FileStateKey, MacNeedsTheKeyAndIsStableAndKeyed) {
  test::TempDir dir;
  FileStateKey key(dir / "keys" / "state.key");
  EXPECT_FALSE(key.hardware_anchored());
  EXPECT_EQ(key.mac(digest_of(1)).error().code(), Code::NotProvisioned);
  EXPECT_TRUE(key.create().value());
  EXPECT_FALSE(key.create().value());
  EXPECT_EQ(std::filesystem::status(dir / "keys" / "state.key").permissions() &
                std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  const Mac a = key.mac(digest_of(1)).value();
  EXPECT_EQ(FileStateKey(dir / "keys" / "state.key").mac(digest_of(1)).value(), a);
  EXPECT_NE(key.mac(digest_of(2)).value(), a);
  FileStateKey other(dir / "other.key");
  ASSERT_TRUE(other.create().value());
  EXPECT_NE(other.mac(digest_of(1)).value(), a);
}

TEST(FileStateKey, TruncatedKeyIsForgedNotReplaced) {
  test::TempDir dir;
  std::ofstream(dir / "state.key") << "short";
  FileStateKey key(dir / "state.key");
  EXPECT_EQ(key.create().error().code(), Code::StateForged);
  EXPECT_EQ(key.mac(digest_of(1)).error().code(), Code::StateForged);
}

bool verifies(const std::string& pem, std::span<const std::uint8_t> message,
              std::span<const std::uint8_t> sig) {
  ossl::Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  ossl::PKey pub(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!pub) return false;
  ossl::MdCtx ctx(EVP_MD_CTX_new());
  return EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pub.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), message.data(), message.size()) == 1;
}

TEST(FileSigningKey, SignsWithAP256KeyThatOnlyTheOwnerReads) {
  test::TempDir dir;
  FileSigningKey key(dir / "ecu.pem");
  EXPECT_FALSE(key.hardware_backed());
  EXPECT_EQ(key.public_key_pem().error().code(), Code::NotProvisioned);
  EXPECT_TRUE(key.create().value());
  const std::string pem = key.public_key_pem().value();
  EXPECT_FALSE(key.create().value());
  EXPECT_EQ(key.public_key_pem().value(), pem);  // idempotent: same key
  EXPECT_EQ(std::filesystem::status(dir / "ecu.pem").permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  const std::vector<std::uint8_t> message{'m', 'a', 'n', 'i', 'f', 'e', 's', 't'};
  const auto sig = key.sign(message).value();
  EXPECT_TRUE(verifies(pem, message, sig));
  const std::vector<std::uint8_t> other{'o', 't', 'h', 'e', 'r'};
  EXPECT_FALSE(verifies(pem, other, sig));
}

TEST(FileSigningKey, ARsaKeyIsRefused) {
  test::TempDir dir;
  ossl::PKey rsa(EVP_RSA_gen(2048));
  ossl::Bio bio(BIO_new_file((dir / "ecu.pem").c_str(), "w"));
  ASSERT_EQ(PEM_write_bio_PrivateKey(bio.get(), rsa.get(), nullptr, nullptr, 0, nullptr, nullptr),
            1);
  bio.reset();
  FileSigningKey key(dir / "ecu.pem");
  EXPECT_EQ(key.create().error().code(), Code::BadKey);
  EXPECT_EQ(key.public_key_pem().error().code(), Code::BadKey);
}

// Only a key that is not there is NotProvisioned (and only then does create() make one): a key
// that is there but cannot be read is Io naming it, and create() leaves it alone.
TEST(FileKeys, AKeyThatCannotBeReadIsIoNeverMissing) {
  test::TempDir dir;
  std::filesystem::create_directory(dir / "ecu.pem");  // a directory where the key should be
  std::filesystem::create_directory(dir / "state.key");
  std::ofstream(dir / "file") << "x";  // ENOTDIR below it
  const auto expect_io = [](const Error& e, const std::filesystem::path& p) {
    EXPECT_EQ(e.code(), Code::Io) << e.message();
    EXPECT_NE(e.message().find(p.string()), std::string::npos) << e.message();
  };
  FileSigningKey ecu(dir / "ecu.pem");
  expect_io(ecu.public_key_pem().error(), dir / "ecu.pem");
  expect_io(ecu.create().error(), dir / "ecu.pem");
  FileStateKey state(dir / "state.key");
  expect_io(state.mac(digest_of(1)).error(), dir / "state.key");
  expect_io(state.create().error(), dir / "state.key");
  FileSigningKey below(dir / "file" / "ecu.pem");
  expect_io(below.public_key_pem().error(), dir / "file" / "ecu.pem");
  expect_io(below.create().error(), dir / "file" / "ecu.pem");
  EXPECT_TRUE(std::filesystem::is_directory(dir / "ecu.pem"));
}

}  // namespace
}  // namespace ratchet::tpm
