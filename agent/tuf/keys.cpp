#include "agent/tuf/keys.hpp"

#include <algorithm>
#include <cctype>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "common/handles/openssl.hpp"
#include "common/hex.hpp"
#include "streaming/hasher.hpp"

namespace ratchet::tuf {
namespace {

std::shared_ptr<EVP_PKEY> share(EVP_PKEY* p) {
  return {p, EVP_PKEY_free};
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

Result<std::shared_ptr<EVP_PKEY>> pem_public(std::string_view pem, std::string_view what) {
  ossl::Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return fail(Code::Internal, "BIO_new_mem_buf failed");
  EVP_PKEY* p = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (p == nullptr) return fail(Code::BadKey, "{}: keyval.public is not a PEM public key", what);
  return share(p);
}

bool is_p256(EVP_PKEY* p) {
  if (EVP_PKEY_is_a(p, "EC") != 1) return false;
  char group[64] = {};
  std::size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(p, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) != 1)
    return false;
  return std::string_view(group, len) == "prime256v1";
}

// Sets up a DigestSign/DigestVerify context for `scheme`.
Status init_ctx(EVP_MD_CTX* ctx, EVP_PKEY* pkey, std::string_view scheme, bool sign) {
  const EVP_MD* md = scheme == kEd25519 ? nullptr : EVP_sha256();
  EVP_PKEY_CTX* pctx = nullptr;
  const int rc = sign ? EVP_DigestSignInit(ctx, &pctx, md, nullptr, pkey)
                      : EVP_DigestVerifyInit(ctx, &pctx, md, nullptr, pkey);
  if (rc != 1) return fail(Code::Crypto, "initialising {} failed", scheme);
  if (scheme == kRsaPssSha256) {
    // PSS with MGF1-SHA256; sign with a digest-length salt, accept any salt length on verify,
    // as securesystemslib does.
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(
            pctx, sign ? RSA_PSS_SALTLEN_DIGEST : RSA_PSS_SALTLEN_AUTO) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) != 1)
      return fail(Code::Crypto, "setting up RSA-PSS failed");
  }
  return {};
}

// Appends a public number of `p` (an OSSL_PKEY_PARAM_* name) as `width` big-endian bytes (0: as
// few as it takes), length-prefixed so that no two sequences of numbers run together.
Status append_number(std::string& out, EVP_PKEY* p, const char* param, int width,
                     std::string_view what) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(p, param, &raw) != 1 || raw == nullptr)
    return fail(Code::BadKey, "{}: no {} in the public key", what, param);
  const ossl::BigNum bn(raw);
  const int n = width > 0 ? width : BN_num_bytes(bn.get());
  std::string bytes(static_cast<std::size_t>(n), '\0');
  if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(bytes.data()), n) != n)
    return fail(Code::BadKey, "{}: {} does not fit in {} bytes", what, param, n);
  out += fmt::format("{}:", n);
  out += bytes;
  return {};
}

Result<std::string> key_material(KeyType type, EVP_PKEY* p, std::string_view what) {
  std::string out;
  switch (type) {
    case KeyType::Ed25519: {
      unsigned char raw[32];
      std::size_t len = sizeof raw;
      if (EVP_PKEY_get_raw_public_key(p, raw, &len) != 1 || len != sizeof raw)
        return fail(Code::BadKey, "{}: no raw ed25519 public key", what);
      out = "ed25519:";
      out.append(reinterpret_cast<const char*>(raw), len);
      return out;
    }
    case KeyType::EcdsaP256:
      out = "p256:";
      RATCHET_TRY(append_number(out, p, OSSL_PKEY_PARAM_EC_PUB_X, 32, what));
      RATCHET_TRY(append_number(out, p, OSSL_PKEY_PARAM_EC_PUB_Y, 32, what));
      return out;
    case KeyType::Rsa:
      out = "rsa:";
      RATCHET_TRY(append_number(out, p, OSSL_PKEY_PARAM_RSA_N, 0, what));
      RATCHET_TRY(append_number(out, p, OSSL_PKEY_PARAM_RSA_E, 0, what));
      return out;
  }
  return fail(Code::Internal, "{}: unknown key type", what);
}

const char* keytype_name(KeyType t) {
  return t == KeyType::Ed25519 ? "ed25519" : t == KeyType::EcdsaP256 ? "ecdsa" : "rsa";
}

}  // namespace

Result<PublicKey> PublicKey::from_json(const Json& key, std::string_view what) {
  if (!key.is_object() || !key.contains("keytype") || !key["keytype"].is_string() ||
      !key.contains("keyval") || !key["keyval"].is_object() || !key["keyval"].contains("public") ||
      !key["keyval"]["public"].is_string())
    return fail(Code::BadKey, "{}: a key needs keytype and keyval.public", what);
  const std::string keytype = lower(key["keytype"].get<std::string>());
  std::string scheme;
  if (key.contains("scheme")) {
    if (!key["scheme"].is_string()) return fail(Code::BadKey, "{}: scheme is not a string", what);
    scheme = key["scheme"].get<std::string>();
  }
  PublicKey k;
  k.public_text_ = key["keyval"]["public"].get<std::string>();
  if (keytype == "ed25519") {
    k.type_ = KeyType::Ed25519;
    k.scheme_ = scheme.empty() ? std::string(kEd25519) : scheme;
    if (k.scheme_ != kEd25519)
      return fail(Code::BadKey, "{}: ed25519 key with scheme {}", what, k.scheme_);
    auto raw = from_hex(k.public_text_);
    if (!raw || raw->size() != 32)
      return fail(Code::BadKey, "{}: ed25519 public key is not 64 hex digits", what);
    EVP_PKEY* p = EVP_PKEY_new_raw_public_key(
        EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw->data()), 32);
    if (p == nullptr) return fail(Code::BadKey, "{}: invalid ed25519 public key", what);
    k.pkey_ = share(p);
  } else if (keytype == "ecdsa" || keytype == "ecdsa-sha2-nistp256") {
    k.type_ = KeyType::EcdsaP256;
    k.scheme_ = scheme.empty() ? std::string(kEcdsaP256) : scheme;
    if (k.scheme_ != kEcdsaP256)
      return fail(Code::BadKey, "{}: ecdsa key with scheme {}", what, k.scheme_);
    k.pkey_ = RATCHET_TRY(pem_public(k.public_text_, what));
    if (!is_p256(k.pkey_.get())) return fail(Code::BadKey, "{}: not a NIST P-256 key", what);
  } else if (keytype == "rsa") {
    k.type_ = KeyType::Rsa;
    k.scheme_ = scheme.empty() ? std::string(kRsaPssSha256) : scheme;
    if (k.scheme_ != kRsaPssSha256)
      return fail(Code::BadKey, "{}: rsa key with scheme {}", what, k.scheme_);
    k.pkey_ = RATCHET_TRY(pem_public(k.public_text_, what));
    if (EVP_PKEY_is_a(k.pkey_.get(), "RSA") != 1 || EVP_PKEY_get_bits(k.pkey_.get()) < 2048)
      return fail(Code::BadKey, "{}: not an RSA key of at least 2048 bits", what);
  } else {
    return fail(Code::BadKey, "{}: unsupported keytype '{}'", what, keytype);
  }
  k.material_ = RATCHET_TRY(key_material(k.type_, k.pkey_.get(), what));
  return k;
}

Status PublicKey::verify(std::span<const std::byte> message,
                         std::span<const std::byte> signature) const {
  ossl::MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx) return fail(Code::Internal, "EVP_MD_CTX_new failed");
  RATCHET_TRY(init_ctx(ctx.get(), pkey_.get(), scheme_, false));
  const int rc = EVP_DigestVerify(
      ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
      reinterpret_cast<const unsigned char*>(message.data()), message.size());
  if (rc != 1) return fail(Code::BadSignature, "{} signature does not verify", scheme_);
  return {};
}

Json PublicKey::to_json() const {
  return Json{{"keytype", keytype_name(type_)},
              {"scheme", scheme_},
              {"keyval", Json{{"public", public_text_}}}};
}

std::string PublicKey::key_id() const {
  const std::string canon = canonical_json(to_json()).value();
  return to_hex(streaming::digest_of(streaming::HashAlgorithm::Sha256,
                                     std::as_bytes(std::span(canon.data(), canon.size()))));
}

Result<PrivateKey> PrivateKey::generate(KeyType type) {
  EVP_PKEY* p = nullptr;
  switch (type) {
    case KeyType::Ed25519:
      p = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
    case KeyType::EcdsaP256:
      p = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
    case KeyType::Rsa:
      p = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(3072));
      break;
  }
  if (p == nullptr) return fail(Code::Crypto, "key generation failed");
  return from_pkey(share(p), type, "generated key");
}

Result<std::string> PrivateKey::to_pem() const {
  ossl::Bio bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), pkey_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return fail(Code::Crypto, "PEM export failed");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

Result<PrivateKey> PrivateKey::from_pem(std::string_view pem) {
  ossl::Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EVP_PKEY* p = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (p == nullptr) return fail(Code::BadKey, "not a PEM private key");
  auto pkey = share(p);
  KeyType type = KeyType::Rsa;
  if (EVP_PKEY_is_a(p, "ED25519") == 1)
    type = KeyType::Ed25519;
  else if (is_p256(p))
    type = KeyType::EcdsaP256;
  else if (EVP_PKEY_is_a(p, "RSA") != 1)
    return fail(Code::BadKey, "unsupported private key type");
  return from_pkey(std::move(pkey), type, "private key");
}

// The public half as it appears in metadata: raw hex for ed25519, PEM SubjectPublicKeyInfo else.
Result<PrivateKey> PrivateKey::from_pkey(std::shared_ptr<EVP_PKEY> pkey, KeyType type,
                                         std::string_view what) {
  std::string public_text;
  if (type == KeyType::Ed25519) {
    unsigned char raw[32];
    std::size_t len = sizeof raw;
    if (EVP_PKEY_get_raw_public_key(pkey.get(), raw, &len) != 1)
      return fail(Code::Crypto, "{}: no raw public key", what);
    public_text = to_hex(std::as_bytes(std::span(raw, len)));
  } else {
    ossl::Bio out(BIO_new(BIO_s_mem()));
    if (!out || PEM_write_bio_PUBKEY(out.get(), pkey.get()) != 1)
      return fail(Code::Crypto, "{}: PEM export failed", what);
    char* data = nullptr;
    const long n = BIO_get_mem_data(out.get(), &data);
    public_text.assign(data, static_cast<std::size_t>(n));
  }
  const Json pub{{"keytype", keytype_name(type)}, {"keyval", Json{{"public", public_text}}}};
  PrivateKey k;
  k.public_ = RATCHET_TRY(PublicKey::from_json(pub, what));
  k.pkey_ = std::move(pkey);
  return k;
}

Result<std::vector<std::byte>> PrivateKey::sign(std::span<const std::byte> message) const {
  ossl::MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx) return fail(Code::Internal, "EVP_MD_CTX_new failed");
  RATCHET_TRY(init_ctx(ctx.get(), pkey_.get(), public_.scheme(), true));
  std::size_t len = 0;
  const auto* msg = reinterpret_cast<const unsigned char*>(message.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &len, msg, message.size()) != 1)
    return fail(Code::Crypto, "signing failed");
  std::vector<std::byte> sig(len);
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, msg,
                     message.size()) != 1)
    return fail(Code::Crypto, "signing failed");
  sig.resize(len);
  return sig;
}

Result<std::vector<std::byte>> base64_decode(std::string_view text) {
  std::string clean;
  clean.reserve(text.size());
  for (char c : text)
    if (c != '\n' && c != '\r') clean.push_back(c);
  if (clean.size() % 4 != 0) return fail(Code::BadMetadata, "base64 length is not a multiple of 4");
  std::vector<std::byte> out(clean.size() / 4 * 3);
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(clean.data()),
                                static_cast<int>(clean.size()));
  if (n < 0) return fail(Code::BadMetadata, "not valid base64");
  std::size_t pad = 0;
  if (!clean.empty() && clean.back() == '=') ++pad;
  if (clean.size() > 1 && clean[clean.size() - 2] == '=') ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

std::string base64_encode(std::span<const std::byte> bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

}  // namespace ratchet::tuf
