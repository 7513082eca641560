#include "tpm/tpm_signing_key.hpp"

#include <memory>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/pem.h>

#include "common/handles/openssl.hpp"
#include "tests/support/swtpm.hpp"
#include "tests/tpm/enrolled_swtpm.hpp"

namespace ratchet::tpm {
namespace {

std::shared_ptr<TpmConnection> connect(const test::Swtpm& swtpm) {
  auto tpm = TpmConnection::open(config_for(swtpm.tcti(), std::string(kOwnerAuth)));
  if (!tpm) ADD_FAILURE() << tpm.error().to_string();
  return tpm ? *std::move(tpm) : nullptr;
}

std::vector<std::uint8_t> bytes(std::string_view s) {
  return {s.begin(), s.end()};
}

ossl::PKey parse_pem(const std::string& pem) {
  const ossl::Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return ossl::PKey(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
}

bool verifies(EVP_PKEY* key, const std::vector<std::uint8_t>& message,
              const std::vector<std::uint8_t>& signature) {
  const ossl::MdCtx ctx(EVP_MD_CTX_new());
  return EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
         EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(),
                          message.size()) == 1;
}

class TpmSigningKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::Swtpm::available()) GTEST_SKIP() << "swtpm is not installed (apt-get install swtpm)";
    swtpm_ = enrolled_swtpm();
  }
  std::unique_ptr<test::Swtpm> swtpm_;
};

TEST_F(TpmSigningKeyTest, NothingBeforeCreate) {
  TpmSigningKey key(connect(*swtpm_));
  EXPECT_TRUE(key.hardware_backed());
  EXPECT_EQ(key.describe(), "tpm2 " + swtpm_->tcti() + " persistent 0x81015501");
  EXPECT_EQ(key.public_key_pem().error().code(), Code::NotProvisioned);
  EXPECT_EQ(key.sign(bytes("manifest")).error().code(), Code::NotProvisioned);
}

TEST_F(TpmSigningKeyTest, SignaturesVerifyWithThePemKey) {
  TpmSigningKey key(connect(*swtpm_));
  ASSERT_EQ(key.create().value(), true);
  const std::string pem = key.public_key_pem().value();
  EXPECT_TRUE(pem.starts_with("-----BEGIN PUBLIC KEY-----\n")) << pem;
  const ossl::PKey pkey = parse_pem(pem);
  ASSERT_TRUE(pkey);
  EXPECT_EQ(EVP_PKEY_is_a(pkey.get(), "EC"), 1);
  EXPECT_EQ(EVP_PKEY_get_bits(pkey.get()), 256);
  std::array<char, 32> group{};
  std::size_t len = 0;
  ASSERT_EQ(EVP_PKEY_get_utf8_string_param(pkey.get(), "group", group.data(), group.size(), &len),
            1);
  EXPECT_EQ(std::string_view(group.data(), len), "prime256v1");

  const auto message = bytes(R"({"signed":{"ecu_serial":"ecu-1"}})");
  for (int i = 0; i < 5; ++i) {  // r and s with leading zero bytes must still encode right
    const auto signature = key.sign(message).value();
    EXPECT_TRUE(verifies(pkey.get(), message, signature));
    EXPECT_FALSE(verifies(pkey.get(), bytes("another manifest"), signature));
  }
  EXPECT_TRUE(verifies(pkey.get(), {}, key.sign({}).value()));
}

TEST_F(TpmSigningKeyTest, CreateIsIdempotentAndTheKeySurvivesAPowerCycle) {
  std::string pem;
  {
    TpmSigningKey key(connect(*swtpm_));
    ASSERT_TRUE(key.create().value());
    EXPECT_FALSE(key.create().value());
    pem = key.public_key_pem().value();
  }
  swtpm_->restart();
  TpmSigningKey key(connect(*swtpm_));
  EXPECT_FALSE(key.create().value());
  EXPECT_EQ(key.public_key_pem().value(), pem);
  const auto message = bytes("after the power cycle");
  const ossl::PKey pkey = parse_pem(pem);
  ASSERT_TRUE(pkey);
  EXPECT_TRUE(verifies(pkey.get(), message, key.sign(message).value()));
}

TEST_F(TpmSigningKeyTest, AnotherTpmHasAnotherKey) {
  TpmSigningKey key(connect(*swtpm_));
  ASSERT_TRUE(key.create().value());
  const auto other_swtpm = enrolled_swtpm();
  TpmSigningKey other(connect(*other_swtpm));
  ASSERT_TRUE(other.create().value());
  const std::string pem = key.public_key_pem().value();
  EXPECT_NE(pem, other.public_key_pem().value());
  const auto message = bytes("manifest");
  const ossl::PKey pkey = parse_pem(pem);
  ASSERT_TRUE(pkey);
  EXPECT_FALSE(verifies(pkey.get(), message, other.sign(message).value()));
}

}  // namespace
}  // namespace ratchet::tpm
