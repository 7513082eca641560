// One session with a TPM 2.0 through tpm2-tss ESAPI: the TCTI, the ESYS context, the owner auth
// and one ESYS_TR per TPM handle, shared by the counter store and the two keys.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <tss2/tss2_esys.h>

#include "common/handles/tss2.hpp"
#include "common/result.hpp"

namespace ratchet::tpm {

struct TpmConfig {
  std::string tcti;        // exact tctildr string: "device:/dev/tpmrm0", "swtpm:path=D/s", ...
  std::string owner_auth;  // owner hierarchy password (empty on an unprovisioned TPM)
  std::uint32_t counter_base = 0x01815500;        // owner NV range 0x01800000-0x01BFFFFF
  std::uint32_t state_key_handle = 0x81015500;    // owner persistent range
  std::uint32_t signing_key_handle = 0x81015501;  // owner persistent range
};

// When the TPM says "busy writing NV, ask again later" (TPM_RC_NV_RATE, NV_UNAVAILABLE, RETRY).
// ESAPI resubmits RETRY itself but not the NV ones, which real TPMs use for wear levelling.
struct RetryPolicy {
  int attempts = 8;
  std::chrono::milliseconds first_delay{20};
  std::chrono::milliseconds max_delay{1000};
};

[[nodiscard]] bool tpm_busy(TSS2_RC rc) noexcept;
void sleep_before_retry(const RetryPolicy& policy, int attempt) noexcept;

// Runs `command` (returning TSS2_RC) until it is not busy or the attempts are spent: about 2.3 s
// of waiting in all with the default policy.
template <class Command>
[[nodiscard]] TSS2_RC retry_busy(Command&& command, const RetryPolicy& policy = {}) {
  TSS2_RC rc = command();
  for (int attempt = 1; attempt < policy.attempts && tpm_busy(rc); ++attempt) {
    sleep_before_retry(policy, attempt);
    rc = command();
  }
  return rc;
}

// Not thread-safe (neither is an ESYS context): one thread at a time. After a transport failure
// (TPM gone mid-command) ESAPI refuses every later call with BAD_SEQUENCE: open a new connection.
class TpmConnection {
 public:
  TpmConnection(const TpmConnection&) = delete;
  TpmConnection& operator=(const TpmConnection&) = delete;
  ~TpmConnection() = default;

  // Loads the TCTI, starts ESAPI, sends TPM2_Startup(CLEAR) (already done by firmware or swtpm's
  // startup-clear flag: TPM_RC_INITIALIZE is fine) and sets the owner auth. Code::Tpm if the TPM
  // cannot be reached, BadConfig for an empty TCTI or an over-long owner auth.
  [[nodiscard]] static Result<std::shared_ptr<TpmConnection>> open(TpmConfig config);

  [[nodiscard]] ESYS_CONTEXT* esys() const noexcept { return esys_.get(); }
  [[nodiscard]] const TpmConfig& config() const noexcept { return config_; }
  [[nodiscard]] std::string describe() const { return "tpm2 " + config_.tcti; }

  // The ESYS_TR of an existing NV index or persistent object, read from the TPM the first time
  // and cached after. NotProvisioned ("<what> at 0x...: not defined") if the TPM has no such
  // handle; `what` names the thing for the message.
  [[nodiscard]] Result<ESYS_TR> object(std::uint32_t handle, std::string_view what);

  // The public area of the object at persistent `handle`; NotProvisioned if there is none.
  [[nodiscard]] Result<tss2::EsysPtr<TPM2B_PUBLIC>> read_public(std::uint32_t handle,
                                                                std::string_view what);

  // Derives a primary key from `key_template` under the owner hierarchy (owner auth) and makes it
  // persistent at `handle`, which must be free.
  [[nodiscard]] Status persist_primary(std::uint32_t handle, std::string_view what,
                                       const TPM2B_PUBLIC& key_template);

  // Takes over an ESYS_TR that a command returned for `handle` (NV_DefineSpace, EvictControl).
  void adopt(std::uint32_t handle, ESYS_TR tr);

  // Drops the cached ESYS_TR, e.g. after the TPM said TPM_RC_HANDLE: someone else undefined or
  // evicted it, and a redefined one must be read afresh.
  void forget(std::uint32_t handle) noexcept;

  // NotProvisioned naming `what` and the handle if `rc` says the handle is gone (and forgets it),
  // else tss_error(call, rc).
  [[nodiscard]] Error command_error(std::string_view call, TSS2_RC rc, std::uint32_t handle,
                                    std::string_view what);

 private:
  TpmConnection(TpmConfig config, tss2::Tcti tcti, tss2::Esys esys)
      : config_(std::move(config)), tcti_(std::move(tcti)), esys_(std::move(esys)) {}

  TpmConfig config_;
  tss2::Tcti tcti_;  // declared before esys_: ESAPI must be finalized first
  tss2::Esys esys_;
  // Esys_TR_FromTPMPublic hands out the same ESYS_TR for a handle it already knows, and closing
  // one copy invalidates the other, so every user goes through this one cache.
  std::map<std::uint32_t, ESYS_TR> objects_;
};

// TPM2B_AUTH from a password; false if it does not fit (64 bytes).
[[nodiscard]] bool make_auth(std::string_view password, TPM2B_AUTH& auth) noexcept;

}  // namespace ratchet::tpm
