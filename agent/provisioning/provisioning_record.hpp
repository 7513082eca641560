// A provisioning record: the only thing that may start a new provisioning lineage (fresh version
// floors). Signed by a provisioning key kept apart from every Uptane key, bound to one device and
// to the provisioning generation its TPM counter is at, so it works once, on one device.
//
//   {"signed": {"_type": "provisioning-record", "device_id": "...", "generation": N,
//               "director_root": <root.json>, "image_root": <root.json>, "issued": "...Z",
//               "security_version": N (optional: the backend's last known floor)},
//    "signatures": [{"keyid": "...", "sig": "<hex>"}]}
#pragma once

#include <string>
#include <string_view>

#include "agent/tuf/keys.hpp"
#include "agent/tuf/metadata.hpp"

namespace ratchet::provisioning {

inline constexpr std::string_view kRecordType = "provisioning-record";
inline constexpr std::size_t kMaxRecord = 1u << 20;

// The provisioning keys a device trusts: {"keys": {<keyid>: <TUF key>}, "threshold": N}. They
// come from the device's read-only configuration, never from the store a record resets.
// NOLINTNEXTLINE(bugprone-exception-escape)
struct ProvisioningKeys {
  tuf::KeyMap keys;
  tuf::RoleKeys role;
};
[[nodiscard]] Result<ProvisioningKeys> parse_provisioning_keys(std::string_view text,
                                                               std::string_view what);
[[nodiscard]] std::string provisioning_keys_json(const std::vector<tuf::PublicKey>& keys,
                                                 std::uint32_t threshold);

// NOLINTNEXTLINE(bugprone-exception-escape)
struct ProvisioningRecord {
  std::string device_id;
  std::uint64_t generation = 0;
  std::string director_root;  // root metadata, as the bytes the store will trust
  std::string image_root;
  tuf::Seconds issued = 0;
  std::uint64_t security_version = 0;  // a floor: never lowers the device's own
};

// Signature (BadProvisioningRecord: names what is wrong), then the two roots: each must be a
// valid root signed by its own threshold. Device and generation are the caller's checks.
[[nodiscard]] Result<ProvisioningRecord> verify_provisioning_record(std::string bytes,
                                                                    const ProvisioningKeys& keys,
                                                                    std::string_view what);

// The operator side (tests, ratchet-repo).
[[nodiscard]] Result<std::string> sign_provisioning_record(
    const ProvisioningRecord& record, const std::vector<const tuf::PrivateKey*>& keys);

}  // namespace ratchet::provisioning
