#include "tpm/tpm_connection.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#include <tss2/tss2_tpm2_types.h>

#include "common/log.hpp"
#include "tpm/tss_error.hpp"

namespace ratchet::tpm {

bool tpm_busy(TSS2_RC rc) noexcept {
  const TSS2_RC base = tpm_base_rc(rc);
  return base == TPM2_RC_NV_RATE || base == TPM2_RC_NV_UNAVAILABLE || base == TPM2_RC_RETRY;
}

void sleep_before_retry(const RetryPolicy& policy, int attempt) noexcept {
  auto delay = policy.first_delay;
  for (int i = 1; i < attempt && delay < policy.max_delay; ++i)
    delay *= 2;
  std::this_thread::sleep_for(std::min(delay, policy.max_delay));
}

bool make_auth(std::string_view password, TPM2B_AUTH& auth) noexcept {
  auth = TPM2B_AUTH{};
  if (password.size() > sizeof auth.buffer) return false;
  auth.size = static_cast<UINT16>(password.size());
  std::memcpy(auth.buffer, password.data(), password.size());
  return true;
}

// tpm2-tss logs expected answers (an NV index not defined yet, a retried NV write) as ERROR lines
// on stderr. Every failure we act on is reported with its decoded code instead, so its own log is
// off unless the user asked for it with TSS2_LOG.
void quiet_tss2_logging() noexcept {
  static std::once_flag once;
  std::call_once(once, [] {
    (void)::setenv("TSS2_LOG", "all+NONE", 0);  // NOLINT(concurrency-mt-unsafe): once, first
  });
}

Result<std::shared_ptr<TpmConnection>> TpmConnection::open(TpmConfig config) {
  quiet_tss2_logging();
  // An empty string would make tctildr probe for any TPM it can find; name the one we mean.
  if (config.tcti.empty()) return fail(Code::BadConfig, "no TPM TCTI configured");
  TPM2B_AUTH owner{};
  if (!make_auth(config.owner_auth, owner))
    return fail(Code::BadConfig, "the TPM owner auth is longer than {} bytes", sizeof owner.buffer);

  TSS2_TCTI_CONTEXT* raw_tcti = nullptr;
  TSS2_RC rc = Tss2_TctiLdr_Initialize(config.tcti.c_str(), &raw_tcti);
  tss2::Tcti tcti(raw_tcti);
  if (rc != TSS2_RC_SUCCESS)
    return fail(tss_error("Tss2_TctiLdr_Initialize", rc).context("TCTI " + config.tcti));

  ESYS_CONTEXT* raw_esys = nullptr;
  rc = Esys_Initialize(&raw_esys, tcti.get(), nullptr);
  tss2::Esys esys(raw_esys);
  if (rc != TSS2_RC_SUCCESS)
    return fail(tss_error("Esys_Initialize", rc).context("TCTI " + config.tcti));

  rc = Esys_Startup(esys.get(), TPM2_SU_CLEAR);
  if (rc != TSS2_RC_SUCCESS && tpm_base_rc(rc) != TPM2_RC_INITIALIZE)
    return fail(tss_error("Esys_Startup", rc).context("TCTI " + config.tcti));

  rc = Esys_TR_SetAuth(esys.get(), ESYS_TR_RH_OWNER, &owner);
  if (rc != TSS2_RC_SUCCESS) return fail(tss_error("Esys_TR_SetAuth(owner)", rc));

  return std::shared_ptr<TpmConnection>(
      new TpmConnection(std::move(config), std::move(tcti), std::move(esys)));
}

Result<ESYS_TR> TpmConnection::object(std::uint32_t handle, std::string_view what) {
  if (const auto it = objects_.find(handle); it != objects_.end()) return it->second;
  ESYS_TR tr = ESYS_TR_NONE;
  const TSS2_RC rc = retry_busy([&] {
    return Esys_TR_FromTPMPublic(esys_.get(), handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                 &tr);
  });
  if (rc != TSS2_RC_SUCCESS) return fail(command_error("Esys_TR_FromTPMPublic", rc, handle, what));
  objects_.emplace(handle, tr);
  return tr;
}

Result<tss2::EsysPtr<TPM2B_PUBLIC>> TpmConnection::read_public(std::uint32_t handle,
                                                               std::string_view what) {
  const ESYS_TR tr = RATCHET_TRY(object(handle, what));
  TPM2B_PUBLIC* raw = nullptr;
  const TSS2_RC rc = retry_busy([&] {
    return Esys_ReadPublic(esys_.get(), tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &raw, nullptr,
                           nullptr);
  });
  tss2::EsysPtr<TPM2B_PUBLIC> pub(raw);
  if (rc != TSS2_RC_SUCCESS) return fail(command_error("Esys_ReadPublic", rc, handle, what));
  return pub;
}

Status TpmConnection::persist_primary(std::uint32_t handle, std::string_view what,
                                      const TPM2B_PUBLIC& key_template) {
  const TPM2B_SENSITIVE_CREATE sensitive{};  // empty key auth; the TPM generates the key
  const TPM2B_DATA outside_info{};
  const TPML_PCR_SELECTION creation_pcrs{};
  ESYS_TR transient = ESYS_TR_NONE;
  TSS2_RC rc = retry_busy([&] {
    return Esys_CreatePrimary(esys_.get(), ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                              ESYS_TR_NONE, &sensitive, &key_template, &outside_info,
                              &creation_pcrs, &transient, nullptr, nullptr, nullptr, nullptr);
  });
  if (rc != TSS2_RC_SUCCESS) return fail(tss_error("Esys_CreatePrimary", rc).context(what));

  ESYS_TR persistent = ESYS_TR_NONE;
  rc = retry_busy([&] {
    return Esys_EvictControl(esys_.get(), ESYS_TR_RH_OWNER, transient, ESYS_TR_PASSWORD,
                             ESYS_TR_NONE, ESYS_TR_NONE, handle, &persistent);
  });
  // The transient copy has served its purpose either way. A failed flush only holds a slot until
  // the next TPM restart, so it is worth a warning, not failing an enrollment that worked.
  const TSS2_RC flushed = Esys_FlushContext(esys_.get(), transient);
  if (flushed != TSS2_RC_SUCCESS)
    log::warning("{}: {}", what, tss_error("Esys_FlushContext", flushed).message());
  if (rc != TSS2_RC_SUCCESS)
    return fail(
        tss_error("Esys_EvictControl", rc).context(fmt::format("{} at 0x{:08x}", what, handle)));
  adopt(handle, persistent);
  return {};
}

void TpmConnection::adopt(std::uint32_t handle, ESYS_TR tr) {
  forget(handle);
  objects_.emplace(handle, tr);
}

void TpmConnection::forget(std::uint32_t handle) noexcept {
  const auto it = objects_.find(handle);
  if (it == objects_.end()) return;
  ESYS_TR tr = it->second;
  objects_.erase(it);
  // Only frees ESAPI's metadata; nothing is sent to the TPM, so there is nothing to report.
  (void)Esys_TR_Close(esys_.get(), &tr);
}

Error TpmConnection::command_error(std::string_view call, TSS2_RC rc, std::uint32_t handle,
                                   std::string_view what) {
  if (tpm_base_rc(rc) == TPM2_RC_HANDLE) {
    forget(handle);
    return Error(Code::NotProvisioned, fmt::format("{} at 0x{:08x}: not defined in the TPM ({})",
                                                   what, handle, describe()));
  }
  return tss_error(call, rc).context(fmt::format("{} at 0x{:08x}", what, handle));
}

}  // namespace ratchet::tpm
