#include "tpm/tpm_state_key.hpp"

#include <algorithm>
#include <cstring>
#include <string_view>

#include <tss2/tss2_tpm2_types.h>

#include "tpm/tss_error.hpp"

namespace ratchet::tpm {
namespace {

constexpr std::string_view kWhat = "state key";
// Part of the template, hence of the key derivation: another owner-seed key with the same
// attributes but another label is a different key.
constexpr std::string_view kLabel = "ratchet state key v1";

// fixedTPM/fixedParent: never duplicated out of this TPM. sensitiveDataOrigin: the TPM made the
// key, nobody ever knew it. userWithAuth with an empty auth: usable by the agent without a
// secret (the owner seed and the TPM are what bind it). noDA: no lockout from its use.
constexpr TPMA_OBJECT kAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                                    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                                    TPMA_OBJECT_NODA | TPMA_OBJECT_SIGN_ENCRYPT;

TPM2B_PUBLIC key_template() {
  TPM2B_PUBLIC t{};
  t.publicArea.type = TPM2_ALG_KEYEDHASH;
  t.publicArea.nameAlg = TPM2_ALG_SHA256;
  t.publicArea.objectAttributes = kAttributes;
  t.publicArea.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_HMAC;
  t.publicArea.parameters.keyedHashDetail.scheme.details.hmac.hashAlg = TPM2_ALG_SHA256;
  auto& unique = t.publicArea.unique.keyedHash;
  unique.size = static_cast<UINT16>(kLabel.size());
  std::memcpy(unique.buffer, kLabel.data(), kLabel.size());
  return t;
}

}  // namespace

std::string TpmStateKey::describe() const {
  return fmt::format("{} persistent 0x{:08x}", tpm_->describe(), tpm_->config().state_key_handle);
}

Status TpmStateKey::check() {
  const std::uint32_t handle = tpm_->config().state_key_handle;
  const auto pub = RATCHET_TRY(tpm_->read_public(handle, kWhat));
  // `unique` is the TPM's digest of the key by now, not our label: compare everything else.
  const TPMT_PUBLIC& p = pub->publicArea;
  const auto& scheme = p.parameters.keyedHashDetail.scheme;
  if (p.type != TPM2_ALG_KEYEDHASH || p.nameAlg != TPM2_ALG_SHA256 ||
      p.objectAttributes != kAttributes || p.authPolicy.size != 0 ||
      scheme.scheme != TPM2_ALG_HMAC || scheme.details.hmac.hashAlg != TPM2_ALG_SHA256)
    return fail(Code::Tpm,
                "{} at 0x{:08x}: the object there is not ratchet's HMAC key (type 0x{:x}, "
                "attributes 0x{:08x}); it is left untouched, configure another handle",
                kWhat, handle, p.type, p.objectAttributes);
  return {};
}

Result<bool> TpmStateKey::create() {
  auto existing = check();
  if (existing) return false;
  if (existing.error().code() != Code::NotProvisioned) return fail(std::move(existing).error());
  RATCHET_TRY(tpm_->persist_primary(tpm_->config().state_key_handle, kWhat, key_template()));
  return true;
}

Result<Mac> TpmStateKey::mac(const Digest& digest) {
  const std::uint32_t handle = tpm_->config().state_key_handle;
  // An object someone else put there (say, an imported key they know) must not MAC our state.
  RATCHET_TRY(check());
  const ESYS_TR key = RATCHET_TRY(tpm_->object(handle, kWhat));
  TPM2B_MAX_BUFFER input{};
  input.size = static_cast<UINT16>(digest.size());
  std::copy(digest.begin(), digest.end(), input.buffer);
  TPM2B_DIGEST* raw = nullptr;
  const TSS2_RC rc = retry_busy([&] {
    return Esys_HMAC(tpm_->esys(), key, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &input,
                     TPM2_ALG_SHA256, &raw);
  });
  const tss2::EsysPtr<TPM2B_DIGEST> out(raw);
  if (rc != TSS2_RC_SUCCESS) return fail(tpm_->command_error("Esys_HMAC", rc, handle, kWhat));
  Mac result{};
  if (out->size != result.size())
    return fail(Code::Tpm, "{} at 0x{:08x}: HMAC returned {} bytes, not {}", kWhat, handle,
                out->size, result.size());
  std::copy_n(out->buffer, result.size(), result.begin());
  return result;
}

}  // namespace ratchet::tpm
