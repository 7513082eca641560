// The vehicle version manifest (Uptane): per ECU a signed ECU version report (the installed image:
// name, length, hashes; a report counter; any detected attack; the trial in progress, a target
// that failed and why, and the last install's result), all of them in a vehicle manifest signed
// with the device's ECU key, in TUF's signed/signatures envelope, with the device's rollback floors
// so a backend can continue numbering above them (seed 000).
#pragma once

#include <map>
#include <string>
#include <vector>

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

// The signed vehicle manifest (JSON text) from what the store holds. Every call takes the next
// report counter (Uptane's alternative to a nonce), so a backend can spot a replayed manifest.
[[nodiscard]] Result<std::string> build_manifest(store::LmdbStore& db, const ManifestInput& input,
                                                 tpm::SigningKey& key);

// The last run's per-ECU results and detected attack, kept so that `ratchet manifest` reports
// them after the run. Plain entries, not rollback state: they are reports, not trust.
[[nodiscard]] Status save_run_report(store::LmdbStore& db, const ManifestInput& input);
[[nodiscard]] Status load_run_report(const store::LmdbStore& db, ManifestInput& input);

}  // namespace ratchet::update
