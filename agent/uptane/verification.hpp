// Uptane full verification (Uptane Standard 5.4.4): the Director says what each ECU of this
// device should run; the Image repository must agree on every byte of it. Works on refreshed
// TUF updaters; installs nothing.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/tuf/updater.hpp"

namespace ratchet::uptane {

struct Ecu {
  std::string serial;
  std::string hardware_id;
};

// One image the Director assigns to one of this device's ECUs, checked against the Image repo.
struct EcuTarget {
  std::string ecu_serial;
  std::string hardware_id;
  std::string name;
  tuf::TargetFile image;  // as the Image repository lists it (length, hashes, custom)
  // The verified release counter (release_counter_of the Image target): what the rollback check
  // compared and what an install records. Absent counts as 0.
  std::optional<std::uint64_t> release_counter;
};

struct VerifiedTargets {
  std::vector<EcuTarget> targets;  // empty: nothing to do
  std::uint64_t director_targets_version = 0;
};

// `installed_release_counters`: per ECU serial, the release counter of what runs now.
[[nodiscard]] Result<VerifiedTargets> verify_director_targets(
    const tuf::Targets& director, tuf::Updater& image, const std::vector<Ecu>& ecus,
    const std::map<std::string, std::uint64_t>& installed_release_counters);

// The one reader of an Image-repository target's release counter: custom.releaseCounter or
// custom.release_counter, when present. Both present with different values: BadMetadata naming
// `what` (the target) and both fields.
[[nodiscard]] Result<std::optional<std::uint64_t>> release_counter_of(const tuf::TargetFile& file,
                                                                      std::string_view what);

}  // namespace ratchet::uptane
