// The two ways Uptane servers write the same metadata. TUF 1.0 (python-tuf, ratchet-repo by
// default) and aktualizr's, as OTA Community Edition and Torizon-style servers serve it:
// capitalised `_type` ("Root", "Targets"), no `spec_version`, keys {keytype: "ED25519"|"RSA",
// keyval.public} without a scheme, key IDs the SHA-256 of the public key's JSON string, signatures
// {keyid, method, sig} with the signature in base64. The client parses both (tuf/metadata.hpp); the
// operator side writes either (TufRepository::set_dialect).
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "agent/tuf/keys.hpp"

namespace ratchet::tuf {

enum class Dialect : std::uint8_t { Tuf, Aktualizr };

[[nodiscard]] std::string_view dialect_name(Dialect d) noexcept;  // "tuf", "aktualizr"
[[nodiscard]] Result<Dialect> parse_dialect(std::string_view name);

// The key object and key ID a role's key has in `d`.
[[nodiscard]] Json key_in(Dialect d, const PublicKey& key);
[[nodiscard]] std::string key_id_in(Dialect d, const PublicKey& key);

// A signed part kept in TUF form, written in `d`: every key object and key ID it holds
// (root keys and roles, delegation keys and roles) rewritten, `keys` maps each TUF key ID it
// may hold to its key. A key ID it does not know is kept as it is (tests write odd metadata).
[[nodiscard]] Json signed_in(Dialect d, const Json& part,
                             const std::map<std::string, PublicKey>& keys);

// One signature object, by `key` over the canonical signed part.
[[nodiscard]] Json signature_in(Dialect d, const PublicKey& key,
                                std::span<const std::byte> signature);

}  // namespace ratchet::tuf
