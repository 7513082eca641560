#include "tpm/tpm_counter_store.hpp"

#include <tss2/tss2_tpm2_types.h>

#include "tpm/tss_error.hpp"

namespace ratchet::tpm {
namespace {

// Why these attributes:
// - AUTHWRITE/AUTHREAD with an empty index auth: anyone who can reach the TPM can increment the
//   counter, which only ever moves it forward (a denial of service, never a rollback). Deleting
//   it needs owner auth, and a redefined counter never comes back lower than the deleted one.
// - OWNERREAD lets tools inspect it with owner auth; no OWNERWRITE, nothing else writes it.
// - NO_DA: a wrong (empty) password must not push the TPM towards dictionary-attack lockout.
// - not ORDERLY: an orderly counter jumps forward after every unclean power-off, which would
//   desynchronise it from the epoch stored beside the state.
constexpr TPMA_NV kAttributes = (static_cast<TPMA_NV>(TPM2_NT_COUNTER) << TPMA_NV_TPM2_NT_SHIFT) |
                                TPMA_NV_AUTHWRITE | TPMA_NV_AUTHREAD | TPMA_NV_OWNERREAD |
                                TPMA_NV_NO_DA;
constexpr UINT16 kSize = 8;  // a TPM counter is always 8 octets, big-endian

std::string what(Counter c) {
  return fmt::format("counter {}", counter_name(c));
}

}  // namespace

std::uint32_t TpmCounterStore::nv_index(Counter c) const noexcept {
  return tpm_->config().counter_base + static_cast<std::uint32_t>(c);
}

Result<bool> TpmCounterStore::check(Counter c, ESYS_TR tr) {
  const std::uint32_t index = nv_index(c);
  TPM2B_NV_PUBLIC* raw = nullptr;
  const TSS2_RC rc = retry_busy([&] {
    return Esys_NV_ReadPublic(tpm_->esys(), tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &raw,
                              nullptr);
  });
  const tss2::EsysPtr<TPM2B_NV_PUBLIC> pub(raw);
  if (rc != TSS2_RC_SUCCESS)
    return fail(tpm_->command_error("Esys_NV_ReadPublic", rc, index, what(c)));
  const TPMS_NV_PUBLIC& p = pub->nvPublic;
  const TPMA_NV attributes = p.attributes & ~TPMA_NV_WRITTEN;
  if (p.nvIndex != index || attributes != kAttributes || p.dataSize != kSize ||
      p.nameAlg != TPM2_ALG_SHA256 || p.authPolicy.size != 0)
    return fail(
        Code::Tpm,
        "{} at 0x{:08x}: the NV index there is not ratchet's counter (attributes 0x{:08x}, "
        "expected 0x{:08x}; size {}; nameAlg 0x{:x}; policy {} bytes); it is left untouched, "
        "configure another counter base",
        what(c), index, attributes, kAttributes, p.dataSize, p.nameAlg, p.authPolicy.size);
  return (p.attributes & TPMA_NV_WRITTEN) != 0;
}

Result<bool> TpmCounterStore::define(Counter c) {
  const std::uint32_t index = nv_index(c);
  auto existing = tpm_->object(index, what(c));
  if (existing) {
    const bool written = RATCHET_TRY(check(c, *existing));
    if (written) return false;
    // Defined but never incremented (enrollment stopped half-way): finish it.
    RATCHET_TRY(increment(c));
    return true;
  }
  if (existing.error().code() != Code::NotProvisioned) return fail(std::move(existing).error());

  TPM2B_NV_PUBLIC pub{};
  pub.nvPublic.nvIndex = index;
  pub.nvPublic.nameAlg = TPM2_ALG_SHA256;
  pub.nvPublic.attributes = kAttributes;
  pub.nvPublic.dataSize = kSize;
  const TPM2B_AUTH empty_auth{};
  ESYS_TR tr = ESYS_TR_NONE;
  const TSS2_RC rc = retry_busy([&] {
    return Esys_NV_DefineSpace(tpm_->esys(), ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                               ESYS_TR_NONE, &empty_auth, &pub, &tr);
  });
  if (rc != TSS2_RC_SUCCESS)
    return fail(tss_error("Esys_NV_DefineSpace", rc)
                    .context(fmt::format("{} at 0x{:08x}", what(c), index)));
  tpm_->adopt(index, tr);
  // Unreadable (TPM_RC_NV_UNINITIALIZED) until the first increment.
  RATCHET_TRY(increment(c));
  return true;
}

Result<std::uint64_t> TpmCounterStore::read(Counter c) {
  const std::uint32_t index = nv_index(c);
  const ESYS_TR tr = RATCHET_TRY(tpm_->object(index, what(c)));
  // The TPM enforces monotonicity only for counters: never trust a value from another kind of
  // index that someone with owner auth put in its place.
  RATCHET_TRY(check(c, tr));
  return read_value(c, tr);
}

Result<std::uint64_t> TpmCounterStore::read_value(Counter c, ESYS_TR tr) {
  const std::uint32_t index = nv_index(c);
  TPM2B_MAX_NV_BUFFER* raw = nullptr;
  const TSS2_RC rc = retry_busy([&] {
    return Esys_NV_Read(tpm_->esys(), tr, tr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, kSize,
                        0, &raw);
  });
  const tss2::EsysPtr<TPM2B_MAX_NV_BUFFER> data(raw);
  if (rc != TSS2_RC_SUCCESS) {
    if (tpm_base_rc(rc) == TPM2_RC_NV_UNINITIALIZED)
      return fail(Code::StateMissing, "{} at 0x{:08x}: defined but never incremented", what(c),
                  index);
    return fail(tpm_->command_error("Esys_NV_Read", rc, index, what(c)));
  }
  if (data->size != kSize)
    return fail(Code::Tpm, "{} at 0x{:08x}: NV_Read returned {} bytes, not {}", what(c), index,
                data->size, kSize);
  std::uint64_t value = 0;
  for (UINT16 i = 0; i < kSize; ++i)
    value = (value << 8U) | data->buffer[i];
  return value;
}

Result<std::uint64_t> TpmCounterStore::increment(Counter c) {
  const std::uint32_t index = nv_index(c);
  const ESYS_TR tr = RATCHET_TRY(tpm_->object(index, what(c)));
  RATCHET_TRY(check(c, tr));
  // NV_RATE and the like mean the TPM did not execute the command, so a retry cannot add twice.
  const TSS2_RC rc = retry_busy([&] {
    return Esys_NV_Increment(tpm_->esys(), tr, tr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE);
  });
  if (rc != TSS2_RC_SUCCESS)
    return fail(tpm_->command_error("Esys_NV_Increment", rc, index, what(c)));
  return read_value(c, tr);
}

}  // namespace ratchet::tpm
