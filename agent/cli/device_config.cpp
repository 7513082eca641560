#include "agent/cli/device_config.hpp"

#include <fmt/format.h>

#include "common/file.hpp"

namespace ratchet::cli {

void add_config_option(CLI::App& app, DeviceConfigOption& o) {
  app.add_option("--config", o.path,
                 fmt::format("configuration file (default: {} if it exists; flags override it)",
                             config::kDefaultPath));
}

Result<std::optional<config::Config>> DeviceConfigOption::load() const {
  // Only a default that is not there means "no configuration": one that cannot be looked at
  // (EACCES, EIO) is an Io error naming it, not a silent fallback to flags.
  if (path.empty() && !RATCHET_TRY(path_exists(config::kDefaultPath)))
    return std::optional<config::Config>();
  return std::optional(
      RATCHET_TRY(config::load_config(path.empty() ? std::string(config::kDefaultPath) : path)));
}

void fill_from(const config::Config& c, std::string& storage_dir, AnchorOptions* anchor) {
  if (storage_dir.empty()) storage_dir = c.storage_dir.string();
  if (anchor == nullptr || anchor->given()) return;
  anchor->tcti = c.tcti;
  anchor->anchor_dir = c.anchor_dir.string();
  if (anchor->owner_auth_file.empty()) anchor->owner_auth_file = c.owner_auth_file.string();
}

Status fill_from_config(const DeviceConfigOption& config, std::string& storage_dir,
                        AnchorOptions* anchor) {
  const bool need_anchor = anchor != nullptr && !anchor->given();
  if (!storage_dir.empty() && !need_anchor && config.path.empty()) return {};
  if (const auto c = RATCHET_TRY(config.load())) fill_from(*c, storage_dir, anchor);
  if (storage_dir.empty())
    return fail(Code::InvalidArgument, "no --storage-dir and no configuration ({}) to read it from",
                config.path.empty() ? std::string(config::kDefaultPath) : config.path);
  return {};
}

}  // namespace ratchet::cli
