// `ratchet install --dry-run` (and `ratchet update --dry-run`): the whole verification of an
// update run against this device's trusted state, and what the run would then do for each ECU,
// with nothing written: no metadata, floors, trials, failure records or boot environment.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent/config/config.hpp"
#include "agent/update/update_run.hpp"

namespace ratchet::update {

struct PlannedTarget {
  std::string ecu_serial;
  std::string name;
  std::string format;  // raw, zstd, delta
  std::uint64_t image_length = 0;
  std::uint64_t payload_length = 0;  // the bytes read from the bundle or the server
  std::uint64_t release_counter = 0;
  std::uint64_t security_version = 0;
  bool would_install = false;
  std::string verdict;  // "would install", "installed already", "failed before: ...", ...
};

struct DryRunReport {
  std::optional<Error> refusal;  // the whole set was refused (nothing would be installed)
  std::uint64_t director_targets_version = 0;
  std::vector<PlannedTarget> targets;
};

// Errors of the device itself (no state, a forged state, a busy run) fail; a refused bundle or
// repository is a report with `refusal` set.
[[nodiscard]] Result<DryRunReport> dry_run(const config::Config& config, Sources& sources);

}  // namespace ratchet::update
