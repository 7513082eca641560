// The record that makes the agent's rollback state tamper-evident: the epoch it was committed at,
// the provisioning generation it belongs to and a SHA-256 of every protected store entry, with an
// HMAC by the device's StateKey (in the TPM where there is one).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "tpm/state_key.hpp"

namespace ratchet::store {

// Store keys under these prefixes are rollback state: trusted metadata of both repositories, the
// time floor, the device identity and each ECU's installed image and release counter.
inline constexpr std::array<std::string_view, 4> kProtectedPrefixes = {"trusted/", "time/",
                                                                       "device/", "ecu/"};
[[nodiscard]] bool is_protected_key(std::string_view key) noexcept;

struct StateRecord {
  std::uint64_t epoch = 0;
  // How many counter values just below `epoch` this record's commit passes on its way there:
  // epochs an abandoned pending record was sealed for, which this commit makes unreachable
  // (docs/tpm.md). A pending record is also accepted at those values, to finish its commit.
  std::uint64_t skip = 0;
  std::uint64_t generation = 0;
  std::map<std::string, std::string> digests;  // protected key -> lower-case hex SHA-256 of value

  friend bool operator==(const StateRecord&, const StateRecord&) = default;
};

[[nodiscard]] std::string digest_hex(std::string_view value);

// "<hex MAC>\n<canonical JSON>", the MAC over SHA-256 of the JSON.
[[nodiscard]] Result<std::string> seal(const StateRecord& record, tpm::StateKey& key);

// Parses and authenticates a sealed record. StateForged (naming `what`) if it does not parse or
// its MAC is not this device's.
[[nodiscard]] Result<StateRecord> unseal(std::string_view sealed, tpm::StateKey& key,
                                         std::string_view what);

}  // namespace ratchet::store
