// Device-side commands read the same configuration as `ratchet update`: --config names it, and
// without it /etc/ratchet/ratchet.toml is read when it exists. Explicit flags override it, so a
// factory or recovery shell can still point a command somewhere else.
#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "agent/cli/anchor_options.hpp"
#include "agent/config/config.hpp"

namespace ratchet::cli {

struct DeviceConfigOption {
  std::string path;  // --config; empty: the default path, if that file exists

  // The configuration, or nullopt when none was named and the default does not exist.
  [[nodiscard]] Result<std::optional<config::Config>> load() const;
};

void add_config_option(CLI::App& app, DeviceConfigOption& o);

// Fills what the flags left empty (storage dir, anchor) from a loaded configuration.
void fill_from(const config::Config& c, std::string& storage_dir, AnchorOptions* anchor);

// Loads the configuration if needed and fills as above. Fails when the storage dir is still
// unknown.
[[nodiscard]] Status fill_from_config(const DeviceConfigOption& config, std::string& storage_dir,
                                      AnchorOptions* anchor);

}  // namespace ratchet::cli
