// The devices' ECU keys on the operator side, so that `ratchet-repo serve` stores a manifest only
// when the device it claims to come from signed it. `ratchet provision` prints a device's
// enrollment (JSON with "device_id" and "ecu_key", a TUF key object); `ratchet-repo enroll`
// keeps that key as REPO/devices/<device>.json (not served).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "repo/operator_repo.hpp"
#include "agent/tuf/keys.hpp"

namespace ratchet::repo {

[[nodiscard]] inline std::filesystem::path device_key_file(const RepoPaths& paths,
                                                           std::string_view device) {
  return paths.root / "devices" / (std::string(device) + ".json");
}

// Records the ECU key of the enrollment at `enrollment` (the output of `ratchet provision` or
// `ratchet reprovision`). Writes nothing when that key is recorded already; a new key replaces
// the old one (a re-provisioned device).
[[nodiscard]] Status enroll_device(const std::filesystem::path& root,
                                   const std::filesystem::path& enrollment);

// The recorded ECU key of `device`; NotFound when it was never enrolled.
[[nodiscard]] Result<tuf::PublicKey> device_key(const RepoPaths& paths, std::string_view device);

// A vehicle manifest (TUF envelope) from `device`: its signed.vin is the device (WrongDevice
// otherwise) and a signature by `key` verifies over the canonical signed part (BadSignature
// otherwise); BadMetadata when it is not such an envelope.
[[nodiscard]] Status verify_manifest(const tuf::PublicKey& key, std::string_view device,
                                     std::string_view body);

}  // namespace ratchet::repo
