// Factory enrollment and re-provisioning. Enrollment defines the counters and keys, installs the
// initial roots and writes the first anchored state; re-provisioning starts a new lineage (fresh
// metadata floors for every ECU at once) only from a verified provisioning record, and moves the
// provisioning generation so that record can never be used again.
#pragma once

#include <string>

#include "agent/provisioning/device_anchor.hpp"
#include "agent/provisioning/provisioning_record.hpp"
#include "agent/store/lmdb_store.hpp"

namespace ratchet::provisioning {

inline constexpr std::string_view kDeviceIdKey = "device/id";
inline constexpr std::string_view kRecordKey = "device/provisioning-record";

// NOLINTNEXTLINE(bugprone-exception-escape)
struct FactoryInput {
  std::string device_id;
  std::string director_root;  // initial trusted root metadata of each repository
  std::string image_root;
};

// What the factory database records about the device, and what `ratchet status` shows.
// NOLINTNEXTLINE(bugprone-exception-escape)
struct Enrollment {
  bool changed = false;
  std::string device_id;
  std::uint64_t generation = 0;
  std::uint64_t epoch = 0;
  std::string ecu_public_pem;
  std::string counters;
  std::string signing_key;
  bool hardware_anchored = false;
  bool signing_key_in_tpm = false;
};

// Idempotent: on an enrolled device it changes nothing and says so (changed = false). A device
// whose counters exist but whose state is gone is refused: that is what a wiped store looks
// like, and only a provisioning record may start it over.
[[nodiscard]] Result<Enrollment> provision(store::LmdbStore& db, DeviceAnchor& anchor,
                                           const FactoryInput& input);

// `device_id` (from the device's configuration) is needed only when the store's own state is
// missing, stale or forged: the record then recovers the device.
[[nodiscard]] Result<Enrollment> reprovision(store::LmdbStore& db, DeviceAnchor& anchor,
                                             const std::string& record,
                                             const ProvisioningKeys& keys,
                                             std::string_view device_id);

// The enrolled device as it stands (for `ratchet status`).
[[nodiscard]] Result<Enrollment> describe(store::LmdbStore& db, DeviceAnchor& anchor);

// {"device_id", "provisioning_generation", "epoch", "ecu_key": <TUF key>, "ecu_key_id", ...}
[[nodiscard]] Result<std::string> enrollment_json(const Enrollment& e);

}  // namespace ratchet::provisioning
