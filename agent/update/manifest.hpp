// The ECU version manifest (Uptane): per ECU the installed image (name, length, hashes), its
// floors, the trial in progress and any detected attack or install failure; all ECUs together in
// a vehicle manifest signed with the device's ECU key, in TUF's signed/signatures envelope.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "agent/store/lmdb_store.hpp"
#include "agent/tuf/canonical_json.hpp"
#include "tpm/signing_key.hpp"

namespace ratchet::update {

// NOLINTNEXTLINE(bugprone-exception-escape)
struct ManifestInput {
  std::string device_id;
  std::string primary_serial;
  std::vector<std::string> ecu_serials;
  std::uint64_t provisioning_generation = 0;
  std::map<std::string, std::string> results;  // per ECU: "" ok, else "<Code>: <message>"
  std::string attacks_detected;                // "" or "<Code>: <message>"
};

// The signed vehicle manifest (JSON text) from what the store holds.
[[nodiscard]] Result<std::string> build_manifest(const store::LmdbStore& db,
                                                 const ManifestInput& input, tpm::SigningKey& key);

}  // namespace ratchet::update
