#include "tpm/tpm_state_key.hpp"

#include <memory>
#include <string_view>

#include <gtest/gtest.h>

#include "tests/support/swtpm.hpp"
#include "tests/tpm/enrolled_swtpm.hpp"
#include "tpm/tpm_signing_key.hpp"

namespace ratchet::tpm {
namespace {

std::shared_ptr<TpmConnection> connect(const test::Swtpm& swtpm,
                                       std::uint32_t state_key_handle = 0x81015500) {
  TpmConfig config = config_for(swtpm.tcti(), std::string(kOwnerAuth));
  config.state_key_handle = state_key_handle;
  auto tpm = TpmConnection::open(config);
  if (!tpm) ADD_FAILURE() << tpm.error().to_string();
  return tpm ? *std::move(tpm) : nullptr;
}

Digest digest_of(std::uint8_t fill) {
  Digest d{};
  d.fill(fill);
  d[0] = 0x42;
  return d;
}

class TpmStateKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::Swtpm::available()) GTEST_SKIP() << "swtpm is not installed (apt-get install swtpm)";
    swtpm_ = enrolled_swtpm();
  }
  std::unique_ptr<test::Swtpm> swtpm_;
};

TEST_F(TpmStateKeyTest, MacBeforeCreateIsNotProvisioned) {
  TpmStateKey key(connect(*swtpm_));
  EXPECT_TRUE(key.hardware_anchored());
  EXPECT_EQ(key.describe(), "tpm2 " + swtpm_->tcti() + " persistent 0x81015500");
  auto mac = key.mac(digest_of(1));
  ASSERT_FALSE(mac);
  EXPECT_EQ(mac.error().code(), Code::NotProvisioned);
  EXPECT_NE(mac.error().message().find("0x81015500"), std::string::npos) << mac.error().message();
}

TEST_F(TpmStateKeyTest, CreateIsIdempotentAndTheMacIsStableAcrossAPowerCycle) {
  Mac first{};
  {
    TpmStateKey key(connect(*swtpm_));
    ASSERT_EQ(key.create().value(), true);
    EXPECT_EQ(key.create().value(), false);
    first = key.mac(digest_of(1)).value();
    EXPECT_EQ(key.mac(digest_of(1)).value(), first);
    EXPECT_NE(key.mac(digest_of(2)).value(), first);
  }
  swtpm_->restart();
  TpmStateKey key(connect(*swtpm_));
  EXPECT_EQ(key.create().value(), false);
  EXPECT_EQ(key.mac(digest_of(1)).value(), first);
}

TEST_F(TpmStateKeyTest, AnotherTpmGivesAnotherMac) {
  TpmStateKey key(connect(*swtpm_));
  ASSERT_TRUE(key.create().value());
  const auto other_swtpm = enrolled_swtpm();
  TpmStateKey other(connect(*other_swtpm));
  ASSERT_TRUE(other.create().value());
  EXPECT_NE(key.mac(digest_of(7)).value(), other.mac(digest_of(7)).value());
}

TEST_F(TpmStateKeyTest, ForeignObjectAtTheHandleIsAnErrorAndLeftAlone) {
  // The signing key sits where the state key is configured to be.
  const auto tpm = connect(*swtpm_, 0x81015501);
  TpmSigningKey signing(tpm);
  ASSERT_TRUE(signing.create().value());
  const std::string pem = signing.public_key_pem().value();
  TpmStateKey key(tpm);
  auto created = key.create();
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code(), Code::Tpm);
  EXPECT_NE(created.error().message().find("0x81015501"), std::string::npos)
      << created.error().message();
  EXPECT_EQ(key.mac(digest_of(1)).error().code(), Code::Tpm);
  EXPECT_EQ(signing.public_key_pem().value(), pem);
}

TEST_F(TpmStateKeyTest, StoppedTpmIsACleanError) {
  TpmStateKey key(connect(*swtpm_));
  ASSERT_TRUE(key.create().value());
  swtpm_->stop();
  EXPECT_EQ(key.mac(digest_of(1)).error().code(), Code::Tpm);
  EXPECT_EQ(key.create().error().code(), Code::Tpm);
}

}  // namespace
}  // namespace ratchet::tpm
