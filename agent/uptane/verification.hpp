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

// The release counter of an Image-repository target: custom.releaseCounter (or the
// release_counter spelling), when present.
[[nodiscard]] Result<std::optional<std::uint64_t>> release_counter_of(const tuf::TargetFile& file,
                                                                      std::string_view what);

}  // namespace ratchet::uptane
