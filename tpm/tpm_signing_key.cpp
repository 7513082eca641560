#include "tpm/tpm_signing_key.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/pem.h>
#include <tss2/tss2_tpm2_types.h>

#include "common/handles/openssl.hpp"
#include "tpm/tss_error.hpp"

namespace ratchet::tpm {
namespace {

constexpr std::string_view kWhat = "signing key";
constexpr std::string_view kLabel = "ratchet ecu key v1";  // feeds the key derivation
constexpr std::size_t kCoordinate = 32;                    // P-256

// As the state key: TPM-generated, bound to this TPM, usable without a secret, no DA lockout;
// not restricted, so it signs digests the TPM did not hash itself.
constexpr TPMA_OBJECT kAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                                    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                                    TPMA_OBJECT_NODA | TPMA_OBJECT_SIGN_ENCRYPT;

TPM2B_PUBLIC key_template() {
  TPM2B_PUBLIC t{};
  t.publicArea.type = TPM2_ALG_ECC;
  t.publicArea.nameAlg = TPM2_ALG_SHA256;
  t.publicArea.objectAttributes = kAttributes;
  auto& ecc = t.publicArea.parameters.eccDetail;
  ecc.symmetric.algorithm = TPM2_ALG_NULL;
  ecc.scheme.scheme = TPM2_ALG_ECDSA;
  ecc.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
  ecc.curveID = TPM2_ECC_NIST_P256;
  ecc.kdf.scheme = TPM2_ALG_NULL;
  auto& x = t.publicArea.unique.ecc.x;
  x.size = static_cast<UINT16>(kLabel.size());
  std::memcpy(x.buffer, kLabel.data(), kLabel.size());
  return t;
}

// A TPM2B_ECC_PARAMETER may drop leading zero bytes; left-pad it back to 32.
bool put_coordinate(const TPM2B_ECC_PARAMETER& in, std::uint8_t* out) {
  if (in.size > kCoordinate) return false;
  const std::size_t pad = kCoordinate - in.size;
  std::fill_n(out, pad, 0);
  std::copy_n(in.buffer, in.size, out + pad);
  return true;
}

}  // namespace

std::string TpmSigningKey::describe() const {
  return fmt::format("{} persistent 0x{:08x}", tpm_->describe(), tpm_->config().signing_key_handle);
}

Result<tss2::EsysPtr<TPM2B_PUBLIC>> TpmSigningKey::checked_public() {
  const std::uint32_t handle = tpm_->config().signing_key_handle;
  auto pub = RATCHET_TRY(tpm_->read_public(handle, kWhat));
  // `unique` holds the public point by now, not our label: compare everything else.
  const TPMT_PUBLIC& p = pub->publicArea;
  const auto& ecc = p.parameters.eccDetail;
  if (p.type != TPM2_ALG_ECC || p.nameAlg != TPM2_ALG_SHA256 || p.objectAttributes != kAttributes ||
      p.authPolicy.size != 0 || ecc.symmetric.algorithm != TPM2_ALG_NULL ||
      ecc.scheme.scheme != TPM2_ALG_ECDSA || ecc.scheme.details.ecdsa.hashAlg != TPM2_ALG_SHA256 ||
      ecc.curveID != TPM2_ECC_NIST_P256 || ecc.kdf.scheme != TPM2_ALG_NULL)
    return fail(Code::Tpm,
                "{} at 0x{:08x}: the object there is not ratchet's P-256 signing key (type 0x{:x}, "
                "attributes 0x{:08x}); it is left untouched, configure another handle",
                kWhat, handle, p.type, p.objectAttributes);
  return pub;
}

Result<bool> TpmSigningKey::create() {
  auto existing = checked_public();
  if (existing) return false;
  if (existing.error().code() != Code::NotProvisioned) return fail(std::move(existing).error());
  RATCHET_TRY(tpm_->persist_primary(tpm_->config().signing_key_handle, kWhat, key_template()));
  return true;
}

Result<std::string> TpmSigningKey::public_key_pem() {
  const auto pub = RATCHET_TRY(checked_public());
  const TPMS_ECC_POINT& point = pub->publicArea.unique.ecc;
  std::array<std::uint8_t, 1 + 2 * kCoordinate> encoded{};  // uncompressed: 04 || x || y
  encoded[0] = 0x04;
  if (!put_coordinate(point.x, &encoded[1]) || !put_coordinate(point.y, &encoded[1 + kCoordinate]))
    return fail(Code::Tpm, "{}: the TPM returned a point with coordinates of {} and {} bytes",
                kWhat, point.x.size, point.y.size);

  std::array<char, 16> group{"prime256v1"};
  std::array<OSSL_PARAM, 3> params{
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group.data(), 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, encoded.data(), encoded.size()),
      OSSL_PARAM_construct_end()};
  const ossl::PKeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.data()) != 1)
    return fail(Code::Crypto, "{}: OpenSSL rejected the TPM's public point", kWhat);
  const ossl::PKey pkey(raw);

  const ossl::Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), pkey.get()) != 1)
    return fail(Code::Crypto, "{}: PEM_write_bio_PUBKEY failed", kWhat);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  if (len <= 0 || data == nullptr) return fail(Code::Crypto, "{}: empty PEM", kWhat);
  return std::string(data, static_cast<std::size_t>(len));
}

Result<std::vector<std::uint8_t>> TpmSigningKey::sign(std::span<const std::uint8_t> message) {
  const std::uint32_t handle = tpm_->config().signing_key_handle;
  RATCHET_TRY(checked_public());
  const ESYS_TR key = RATCHET_TRY(tpm_->object(handle, kWhat));

  TPM2B_DIGEST digest{};
  unsigned int digest_len = 0;
  if (EVP_Digest(message.data(), message.size(), digest.buffer, &digest_len, EVP_sha256(),
                 nullptr) != 1 ||
      digest_len != kCoordinate)
    return fail(Code::Crypto, "{}: SHA-256 of the message failed", kWhat);
  digest.size = static_cast<UINT16>(digest_len);

  TPMT_SIG_SCHEME scheme{};
  scheme.scheme = TPM2_ALG_ECDSA;
  scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
  // The key is not restricted, so it may sign a digest the TPM did not compute: a NULL ticket.
  TPMT_TK_HASHCHECK ticket{};
  ticket.tag = TPM2_ST_HASHCHECK;
  ticket.hierarchy = TPM2_RH_NULL;
  TPMT_SIGNATURE* raw = nullptr;
  const TSS2_RC rc = retry_busy([&] {
    return Esys_Sign(tpm_->esys(), key, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &digest,
                     &scheme, &ticket, &raw);
  });
  const tss2::EsysPtr<TPMT_SIGNATURE> signature(raw);
  if (rc != TSS2_RC_SUCCESS) return fail(tpm_->command_error("Esys_Sign", rc, handle, kWhat));
  if (signature->sigAlg != TPM2_ALG_ECDSA)
    return fail(Code::Tpm, "{}: the TPM returned a signature of algorithm 0x{:x}", kWhat,
                signature->sigAlg);

  // r and s as an ECDSA-Sig-Value SEQUENCE, the DER form TUF's ecdsa-sha2-nistp256 carries.
  const TPMS_SIGNATURE_ECC& ecdsa = signature->signature.ecdsa;
  ossl::BigNum r(BN_bin2bn(ecdsa.signatureR.buffer, ecdsa.signatureR.size, nullptr));
  ossl::BigNum s(BN_bin2bn(ecdsa.signatureS.buffer, ecdsa.signatureS.size, nullptr));
  const ossl::EcdsaSig sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1)
    return fail(Code::Crypto, "{}: could not build the ECDSA signature", kWhat);
  (void)r.release();  // owned by sig now
  (void)s.release();
  const int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return fail(Code::Crypto, "{}: i2d_ECDSA_SIG failed", kWhat);
  std::vector<std::uint8_t> der(static_cast<std::size_t>(len));
  unsigned char* out = der.data();
  if (i2d_ECDSA_SIG(sig.get(), &out) != len)
    return fail(Code::Crypto, "{}: i2d_ECDSA_SIG failed", kWhat);
  return der;
}

}  // namespace ratchet::tpm
