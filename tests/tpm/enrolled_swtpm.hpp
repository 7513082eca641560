// What the TPM tests share: a TpmConfig for a TCTI, and a private swtpm as enrollment leaves it
// (an owner password set, so no test silently relies on an empty one).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "tests/support/swtpm.hpp"
#include "tpm/tpm_connection.hpp"

namespace ratchet::tpm {

inline constexpr std::string_view kOwnerAuth = "owner-secret";

// TpmConfig for a TCTI (GCC warns about designated initializers that skip members).
inline TpmConfig config_for(std::string tcti, std::string owner_auth = {}) {
  TpmConfig config;
  config.tcti = std::move(tcti);
  config.owner_auth = std::move(owner_auth);
  return config;
}

inline std::unique_ptr<test::Swtpm> enrolled_swtpm() {
  auto swtpm = std::make_unique<test::Swtpm>();
  auto fresh = TpmConnection::open(config_for(swtpm->tcti()));
  EXPECT_TRUE(fresh) << fresh.error().to_string();
  if (!fresh) return swtpm;
  TPM2B_AUTH auth{};
  EXPECT_TRUE(make_auth(kOwnerAuth, auth));
  EXPECT_EQ(Esys_HierarchyChangeAuth((*fresh)->esys(), ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD,
                                     ESYS_TR_NONE, ESYS_TR_NONE, &auth),
            TSS2_RC_SUCCESS);
  return swtpm;
}

}  // namespace ratchet::tpm
