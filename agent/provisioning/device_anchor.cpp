#include "agent/provisioning/device_anchor.hpp"

#include "common/file.hpp"
#include "tpm/file_counter_store.hpp"
#include "tpm/file_signing_key.hpp"
#include "tpm/file_state_key.hpp"
#if RATCHET_HAVE_TPM
#include "tpm/tpm_connection.hpp"
#include "tpm/tpm_counter_store.hpp"
#include "tpm/tpm_signing_key.hpp"
#include "tpm/tpm_state_key.hpp"
#endif

namespace ratchet::provisioning {

Result<DeviceAnchor> open_anchor(const AnchorConfig& config) {
  if (config.tcti.empty() == config.anchor_dir.empty())
    return fail(Code::InvalidArgument, "give either a TPM (TCTI) or an anchor directory, not {}",
                config.tcti.empty() ? "neither" : "both");
  DeviceAnchor a;
  if (!config.anchor_dir.empty()) {
    a.counters = std::make_unique<tpm::FileCounterStore>(config.anchor_dir / "counters");
    a.state_key = std::make_unique<tpm::FileStateKey>(config.anchor_dir / "state.key");
    a.signing_key = std::make_unique<tpm::FileSigningKey>(config.anchor_dir / "ecu-key.pem");
    return a;
  }
#if RATCHET_HAVE_TPM
  tpm::TpmConfig tc;
  tc.tcti = config.tcti;
  if (!config.owner_auth_file.empty()) {
    tc.owner_auth = RATCHET_TRY(read_file(config.owner_auth_file, 64));
    while (!tc.owner_auth.empty() && tc.owner_auth.back() == '\n')
      tc.owner_auth.pop_back();
  }
  auto connection = RATCHET_TRY(tpm::TpmConnection::open(tc));
  a.counters = std::make_unique<tpm::TpmCounterStore>(connection);
  a.state_key = std::make_unique<tpm::TpmStateKey>(connection);
  a.signing_key = std::make_unique<tpm::TpmSigningKey>(connection);
  return a;
#else
  return fail(Code::Unsupported, "this build has no TPM support (TCTI {})", config.tcti);
#endif
}

}  // namespace ratchet::provisioning
