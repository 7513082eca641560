#include "tpm/tss_error.hpp"

#include <gtest/gtest.h>
#include <tss2/tss2_tpm2_types.h>

namespace ratchet::tpm {
namespace {

TEST(TssError, DecodesTheReturnCode) {
  const Error e = tss_error("Esys_NV_Read", TPM2_RC_NV_UNINITIALIZED);
  EXPECT_EQ(e.code(), Code::Tpm);
  EXPECT_NE(e.message().find("Esys_NV_Read: 0x14a"), std::string::npos) << e.message();
  EXPECT_NE(e.message().find("used before being initialized"), std::string::npos) << e.message();
}

TEST(TssError, BaseCodeIgnoresLayerAndParameterNumber) {
  // NV_RATE is a format-zero warning; ESAPI reports TPM codes with the TPM layer (0).
  EXPECT_EQ(tpm_base_rc(TPM2_RC_NV_RATE), TPM2_RC_NV_RATE);
  EXPECT_EQ(tpm_base_rc(TSS2_RESMGR_TPM_RC_LAYER | TPM2_RC_NV_RATE), TPM2_RC_NV_RATE);
  // POLICY_FAIL reported on session 1 (0x99d) is still POLICY_FAIL.
  EXPECT_EQ(tpm_base_rc(0x99D), TPM2_RC_POLICY_FAIL);
  EXPECT_EQ(tpm_base_rc(TPM2_RC_AUTH_FAIL | TPM2_RC_P | TPM2_RC_1), TPM2_RC_AUTH_FAIL);
}

}  // namespace
}  // namespace ratchet::tpm
