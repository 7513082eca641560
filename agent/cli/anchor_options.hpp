// The options every command that touches the rollback state shares: where the store is and what
// anchors it (a TPM through a TCTI, or a directory of file counters on devices without one).
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "agent/provisioning/device_anchor.hpp"

namespace ratchet::cli {

struct AnchorOptions {
  std::string tcti;
  std::string anchor_dir;
  std::string owner_auth_file;

  [[nodiscard]] bool given() const noexcept { return !tcti.empty() || !anchor_dir.empty(); }
  [[nodiscard]] Result<provisioning::DeviceAnchor> open() const;
};

void add_anchor_options(CLI::App& app, AnchorOptions& o);

}  // namespace ratchet::cli
