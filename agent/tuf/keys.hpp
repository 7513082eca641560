// Public and private keys of the TUF/Uptane roles, in both metadata dialects: TUF 1.0
// (keytype + scheme + keyval.public) and aktualizr's (ED25519 / RSA without a scheme).
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/evp.h>

#include "agent/tuf/canonical_json.hpp"
#include "common/result.hpp"

namespace ratchet::tuf {

enum class KeyType : std::uint8_t { Ed25519, EcdsaP256, Rsa };

// The signature schemes ratchet verifies.
inline constexpr std::string_view kEd25519 = "ed25519";
inline constexpr std::string_view kEcdsaP256 = "ecdsa-sha2-nistp256";
inline constexpr std::string_view kRsaPssSha256 = "rsassa-pss-sha256";

class PublicKey {
 public:
  // Parses a key object from root or delegation metadata. `what` names it in errors.
  [[nodiscard]] static Result<PublicKey> from_json(const Json& key, std::string_view what);

  [[nodiscard]] KeyType type() const noexcept { return type_; }
  [[nodiscard]] const std::string& scheme() const noexcept { return scheme_; }

  // Verifies `signature` over `message` with this key's scheme. BadSignature on mismatch.
  [[nodiscard]] Status verify(std::span<const std::byte> message,
                              std::span<const std::byte> signature) const;

  // The TUF 1.0 key object ({keytype, scheme, keyval: {public}}) and its key ID (SHA-256 of its
  // canonical form).
  [[nodiscard]] Json to_json() const;
  [[nodiscard]] std::string key_id() const;

  // The key itself, whatever object spells it: its type and public numbers (ed25519: the 32
  // bytes; P-256: x and y; RSA: n and e), independent of key ID, scheme spelling, hex case, PEM
  // layout or point compression. Thresholds count distinct material, never distinct key IDs.
  [[nodiscard]] const std::string& material() const noexcept { return material_; }

  [[nodiscard]] EVP_PKEY* pkey() const noexcept { return pkey_.get(); }

 private:
  friend class PrivateKey;
  KeyType type_ = KeyType::Ed25519;
  std::string scheme_;
  std::string public_text_;  // hex (ed25519) or PEM, as in keyval.public
  std::string material_;     // see material()
  std::shared_ptr<EVP_PKEY> pkey_;
};

// The operator side: generating and using signing keys (ratchet-repo, tests).
class PrivateKey {
 public:
  [[nodiscard]] static Result<PrivateKey> generate(KeyType type);
  [[nodiscard]] static Result<PrivateKey> from_pem(std::string_view pem);
  [[nodiscard]] Result<std::string> to_pem() const;

  [[nodiscard]] const PublicKey& public_key() const noexcept { return public_; }
  [[nodiscard]] Result<std::vector<std::byte>> sign(std::span<const std::byte> message) const;

 private:
  [[nodiscard]] static Result<PrivateKey> from_pkey(std::shared_ptr<EVP_PKEY> pkey, KeyType type,
                                                    std::string_view what);
  PublicKey public_;
  std::shared_ptr<EVP_PKEY> pkey_;
};

[[nodiscard]] Result<std::vector<std::byte>> base64_decode(std::string_view text);
[[nodiscard]] std::string base64_encode(std::span<const std::byte> bytes);

}  // namespace ratchet::tuf
