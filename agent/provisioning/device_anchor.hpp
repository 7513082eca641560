// What anchors this device's rollback state and identity: the TPM (through a TCTI string) or, on
// devices without one, files in a directory that should live apart from the store.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "agent/store/anchored_store.hpp"
#include "tpm/counter_store.hpp"
#include "tpm/signing_key.hpp"
#include "tpm/state_key.hpp"

namespace ratchet::provisioning {

struct AnchorConfig {
  std::string tcti;                       // "device:/dev/tpmrm0", "swtpm:path=...", "mssim:..."
  std::filesystem::path anchor_dir;       // or: file counters and keys (not hardware-anchored)
  std::filesystem::path owner_auth_file;  // TPM owner hierarchy auth, if the owner set one
};

struct DeviceAnchor {
  std::unique_ptr<tpm::CounterStore> counters;
  std::unique_ptr<tpm::StateKey> state_key;
  std::unique_ptr<tpm::SigningKey> signing_key;

  [[nodiscard]] store::Anchor anchor() const { return {counters.get(), state_key.get()}; }
  [[nodiscard]] bool hardware_anchored() const noexcept {
    return counters->hardware_anchored() && state_key->hardware_anchored();
  }
};

// Exactly one of tcti / anchor_dir must be set (Usage otherwise).
[[nodiscard]] Result<DeviceAnchor> open_anchor(const AnchorConfig& config);

}  // namespace ratchet::provisioning
