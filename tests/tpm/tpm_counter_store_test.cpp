#include "tpm/tpm_counter_store.hpp"

#include <memory>
#include <string_view>

#include <gtest/gtest.h>
#include <tss2/tss2_tpm2_types.h>

#include "tests/support/swtpm.hpp"
#include "tests/tpm/enrolled_swtpm.hpp"

namespace ratchet::tpm {
namespace {

using ::ratchet::tpm::config_for;

TpmConfig config_for(const test::Swtpm& swtpm) {
  return config_for(swtpm.tcti(), std::string(kOwnerAuth));
}

class TpmCounterStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::Swtpm::available()) GTEST_SKIP() << "swtpm is not installed (apt-get install swtpm)";
    swtpm_ = enrolled_swtpm();
  }

  std::shared_ptr<TpmConnection> connect() {
    auto tpm = TpmConnection::open(config_for(*swtpm_));
    if (!tpm) ADD_FAILURE() << tpm.error().to_string();
    return tpm ? *std::move(tpm) : nullptr;
  }

  // Defines an index at `index` the way another TPM user might, through a separate connection.
  void define_foreign(std::uint32_t index, TPMA_NV attributes) {
    const auto tpm = connect();
    ASSERT_TRUE(tpm);
    TPM2B_NV_PUBLIC pub{};
    pub.nvPublic = {.nvIndex = index,
                    .nameAlg = TPM2_ALG_SHA256,
                    .attributes = attributes,
                    .authPolicy = {},
                    .dataSize = 8};
    const TPM2B_AUTH auth{};
    ESYS_TR tr = ESYS_TR_NONE;
    ASSERT_EQ(Esys_NV_DefineSpace(tpm->esys(), ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                  ESYS_TR_NONE, &auth, &pub, &tr),
              TSS2_RC_SUCCESS);
  }

  // The attributes of the index at `index`, read through a fresh connection.
  TPMA_NV attributes_of(std::uint32_t index) {
    const auto tpm = connect();
    if (!tpm) return 0;
    auto tr = tpm->object(index, "index");
    if (!tr) {
      ADD_FAILURE() << tr.error().to_string();
      return 0;
    }
    TPM2B_NV_PUBLIC* raw = nullptr;
    EXPECT_EQ(Esys_NV_ReadPublic(tpm->esys(), *tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &raw,
                                 nullptr),
              TSS2_RC_SUCCESS);
    const tss2::EsysPtr<TPM2B_NV_PUBLIC> pub(raw);
    return pub ? pub->nvPublic.attributes : 0;
  }

  std::unique_ptr<test::Swtpm> swtpm_;
};

constexpr TPMA_NV kCounterType = static_cast<TPMA_NV>(TPM2_NT_COUNTER) << TPMA_NV_TPM2_NT_SHIFT;
constexpr TPMA_NV kOurs =
    kCounterType | TPMA_NV_AUTHWRITE | TPMA_NV_AUTHREAD | TPMA_NV_OWNERREAD | TPMA_NV_NO_DA;

TEST(RetryBusy, RetriesOnlyWhileTheTpmIsBusyAndGivesUp) {
  const RetryPolicy fast{.attempts = 4,
                         .first_delay = std::chrono::milliseconds(1),
                         .max_delay = std::chrono::milliseconds(2)};
  int calls = 0;
  EXPECT_EQ(retry_busy([&] { return ++calls < 3 ? TPM2_RC_NV_RATE : TSS2_RC_SUCCESS; }, fast),
            TSS2_RC_SUCCESS);
  EXPECT_EQ(calls, 3);
  calls = 0;
  EXPECT_EQ(retry_busy([&] { return ++calls, TSS2_RC{TPM2_RC_NV_UNAVAILABLE}; }, fast),
            TPM2_RC_NV_UNAVAILABLE);
  EXPECT_EQ(calls, 4);
  calls = 0;
  EXPECT_EQ(retry_busy([&] { return ++calls, TSS2_RC{TPM2_RC_NV_UNINITIALIZED}; }, fast),
            TPM2_RC_NV_UNINITIALIZED);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(tpm_busy(TSS2_RESMGR_TPM_RC_LAYER | TPM2_RC_RETRY));
}

TEST_F(TpmCounterStoreTest, ReadBeforeDefineIsNotProvisioned) {
  TpmCounterStore store(connect());
  EXPECT_TRUE(store.hardware_anchored());
  EXPECT_EQ(store.describe(), "tpm2 " + swtpm_->tcti());
  auto r = store.read(Counter::Epoch);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::NotProvisioned);
  EXPECT_NE(r.error().message().find("counter epoch at 0x01815500"), std::string::npos)
      << r.error().message();
  EXPECT_EQ(store.increment(Counter::SecurityVersion).error().code(), Code::NotProvisioned);
}

TEST_F(TpmCounterStoreTest, DefineOnceThenReadAndIncrementByExactlyOne) {
  TpmCounterStore store(connect());
  ASSERT_EQ(store.define(Counter::Epoch).value(), true);
  const std::uint64_t first = store.read(Counter::Epoch).value();
  EXPECT_GE(first, 1U);  // implementation-defined, but written
  EXPECT_EQ(attributes_of(store.nv_index(Counter::Epoch)), kOurs | TPMA_NV_WRITTEN);

  EXPECT_EQ(store.define(Counter::Epoch).value(), false);
  EXPECT_EQ(store.read(Counter::Epoch).value(), first);
  for (std::uint64_t i = 1; i <= 5; ++i)
    EXPECT_EQ(store.increment(Counter::Epoch).value(), first + i);
  EXPECT_EQ(store.read(Counter::Epoch).value(), first + 5);
}

TEST_F(TpmCounterStoreTest, CountersAreIndependent) {
  TpmCounterStore store(connect());
  for (const Counter c :
       {Counter::Epoch, Counter::ProvisioningGeneration, Counter::SecurityVersion})
    ASSERT_TRUE(store.define(c).value());
  const std::uint64_t epoch = store.read(Counter::Epoch).value();
  const std::uint64_t generation = store.read(Counter::ProvisioningGeneration).value();
  const std::uint64_t svn = store.read(Counter::SecurityVersion).value();
  EXPECT_EQ(store.increment(Counter::Epoch).value(), epoch + 1);
  EXPECT_EQ(store.increment(Counter::Epoch).value(), epoch + 2);
  EXPECT_EQ(store.increment(Counter::SecurityVersion).value(), svn + 1);
  EXPECT_EQ(store.read(Counter::ProvisioningGeneration).value(), generation);
  EXPECT_EQ(store.read(Counter::SecurityVersion).value(), svn + 1);
  EXPECT_EQ(store.nv_index(Counter::SecurityVersion), 0x01815502U);
}

TEST_F(TpmCounterStoreTest, ValueSurvivesAPowerCycle) {
  std::uint64_t before = 0;
  {
    TpmCounterStore store(connect());
    ASSERT_TRUE(store.define(Counter::Epoch).value());
    (void)store.increment(Counter::Epoch).value();
    before = store.increment(Counter::Epoch).value();
  }
  swtpm_->restart();
  TpmCounterStore store(connect());
  EXPECT_EQ(store.read(Counter::Epoch).value(), before);  // not ORDERLY: no jump forward
  EXPECT_EQ(store.define(Counter::Epoch).value(), false);
  EXPECT_EQ(store.increment(Counter::Epoch).value(), before + 1);
}

TEST_F(TpmCounterStoreTest, DefinedButNeverIncrementedIsFinishedByDefine) {
  TpmCounterStore store(connect());
  // Enrollment interrupted between NV_DefineSpace and the first NV_Increment.
  define_foreign(store.nv_index(Counter::ProvisioningGeneration), kOurs);
  EXPECT_EQ(store.read(Counter::ProvisioningGeneration).error().code(), Code::StateMissing);
  EXPECT_EQ(store.define(Counter::ProvisioningGeneration).value(), true);
  EXPECT_GE(store.read(Counter::ProvisioningGeneration).value(), 1U);
  EXPECT_EQ(store.define(Counter::ProvisioningGeneration).value(), false);
}

TEST_F(TpmCounterStoreTest, ForeignIndexIsAnErrorAndLeftAlone) {
  TpmCounterStore store(connect());
  const std::uint32_t ordinary = store.nv_index(Counter::Epoch);
  const TPMA_NV ordinary_attrs = TPMA_NV_OWNERWRITE | TPMA_NV_OWNERREAD | TPMA_NV_NO_DA;
  define_foreign(ordinary, ordinary_attrs);
  // A counter, but one the owner may increment: still not ours.
  const std::uint32_t other_counter = store.nv_index(Counter::SecurityVersion);
  define_foreign(other_counter, kOurs | TPMA_NV_OWNERWRITE);

  auto r = store.define(Counter::Epoch);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::Tpm);
  EXPECT_NE(r.error().message().find("0x01815500"), std::string::npos) << r.error().message();
  EXPECT_FALSE(store.read(Counter::Epoch));  // an ordinary index's bytes are no counter value
  EXPECT_FALSE(store.increment(Counter::Epoch));
  EXPECT_FALSE(store.define(Counter::SecurityVersion));

  EXPECT_EQ(attributes_of(ordinary), ordinary_attrs);
  EXPECT_EQ(attributes_of(other_counter), kOurs | TPMA_NV_OWNERWRITE);
  // The other counters are unaffected.
  EXPECT_TRUE(store.define(Counter::ProvisioningGeneration).value());
}

TEST_F(TpmCounterStoreTest, UndefineAndRedefineNeverComesBackLower) {
  TpmCounterStore store(connect());
  ASSERT_TRUE(store.define(Counter::Epoch).value());
  std::uint64_t old = 0;
  for (int i = 0; i < 10; ++i)
    old = store.increment(Counter::Epoch).value();

  {  // An attacker with owner auth deletes the counter.
    const auto other = connect();
    ASSERT_TRUE(other);
    auto tr = other->object(store.nv_index(Counter::Epoch), "epoch");
    ASSERT_TRUE(tr);
    ASSERT_EQ(Esys_NV_UndefineSpace(other->esys(), ESYS_TR_RH_OWNER, *tr, ESYS_TR_PASSWORD,
                                    ESYS_TR_NONE, ESYS_TR_NONE),
              TSS2_RC_SUCCESS);
  }
  // The store's cached handle is stale now; it notices and says so.
  EXPECT_EQ(store.read(Counter::Epoch).error().code(), Code::NotProvisioned);
  EXPECT_EQ(store.increment(Counter::Epoch).error().code(), Code::NotProvisioned);
  ASSERT_EQ(store.define(Counter::Epoch).value(), true);
  EXPECT_GE(store.read(Counter::Epoch).value(), old + 1);
}

TEST_F(TpmCounterStoreTest, WrongOwnerAuthIsATpmError) {
  auto config = config_for(*swtpm_);
  config.owner_auth = "not-the-owner";
  auto tpm = TpmConnection::open(config);
  ASSERT_TRUE(tpm);
  TpmCounterStore store(*tpm);
  auto r = store.define(Counter::Epoch);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::Tpm);
  EXPECT_EQ(store.read(Counter::Epoch).error().code(), Code::NotProvisioned);
}

TEST_F(TpmCounterStoreTest, StoppedTpmIsACleanError) {
  TpmCounterStore store(connect());
  ASSERT_TRUE(store.define(Counter::Epoch).value());
  swtpm_->stop();
  auto r = store.read(Counter::Epoch);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::Tpm);
  auto reopened = TpmConnection::open(config_for(*swtpm_));
  ASSERT_FALSE(reopened);
  EXPECT_EQ(reopened.error().code(), Code::Tpm);
  EXPECT_NE(reopened.error().message().find(swtpm_->tcti()), std::string::npos)
      << reopened.error().message();
  // ESAPI gives up on a context after a transport failure; a new connection is fine.
  swtpm_->start();
  EXPECT_EQ(store.read(Counter::Epoch).error().code(), Code::Tpm);
  EXPECT_TRUE(TpmCounterStore(connect()).read(Counter::Epoch));
}

TEST(TpmConnection, BadTctiIsACleanError) {
  for (const char* tcti :
       {"no-such-tcti:foo", "swtpm:path=/nonexistent/ratchet/s", "device:/nonexistent/tpmrm0"}) {
    auto r = TpmConnection::open(config_for(tcti));
    ASSERT_FALSE(r) << tcti;
    EXPECT_EQ(r.error().code(), Code::Tpm) << r.error().to_string();
  }
  EXPECT_EQ(TpmConnection::open(TpmConfig{}).error().code(), Code::BadConfig);
  EXPECT_EQ(
      TpmConnection::open(config_for("device:/dev/null", std::string(65, 'x'))).error().code(),
      Code::BadConfig);
}

}  // namespace
}  // namespace ratchet::tpm
