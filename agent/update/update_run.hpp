// One update run, online (`ratchet update`) or from a USB bundle (`ratchet install`): the same
// verification, floors and anchored commit either way; only where the bytes come from differs.
//
//   lock -> verify the anchored state -> refresh + full verification of both repositories ->
//   commit the metadata -> per ECU: skip what runs already and what failed before (a failed
//   trial, a refused target: failed_targets.hpp), check release counter and security
//   version floors, stream the image (A/B rootfs: into the inactive slot, resumable), record it
//   as the ECU's trial and arm a trial boot (other ECUs: installed at once) -> signed manifest.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "agent/config/config.hpp"
#include "agent/provisioning/device_anchor.hpp"
#include "agent/tuf/fetcher.hpp"
#include "bootctl/boot_control.hpp"
#include "streaming/install.hpp"

namespace ratchet::update {

enum class Outcome : std::uint8_t { NothingToDo, Installed, RebootNeeded };

struct Sources {
  tuf::Fetcher* director = nullptr;
  tuf::Fetcher* image = nullptr;
  tuf::Fetcher* targets = nullptr;  // the Image repository's targets/ (small files: chunk lists)
  // The payload at `path` under the Image repository's targets/ (resumable: offset reads).
  std::function<std::unique_ptr<streaming::Source>(const std::string& path)> target;
  // Where to send the signed manifest; empty: keep it in the store only (offline install).
  std::string manifest_url;
  streaming::HttpOptions http;
};

struct RunOptions {
  std::function<void(const std::string& ecu, const streaming::InstallProgress&)> on_progress;
  // Install a target even when it failed on its ECU before (`--retry-failed`); the install that
  // succeeds replaces the record.
  bool retry_failed = false;
};

// NOLINTNEXTLINE(bugprone-exception-escape)
struct RunReport {
  Outcome outcome = Outcome::NothingToDo;
  std::vector<std::string> installed;    // "<ecu>: <target>"
  std::vector<std::string> not_retried;  // "<ecu>: <target>": failed before, skipped
  std::string manifest;                  // the signed manifest that was (or would be) sent
};

[[nodiscard]] Result<RunReport> run_update(const config::Config& config, Sources& sources,
                                           const RunOptions& options);

// The primary ECU's boot control and what it says now, checked as every run starts: an
// environment that is blank or corrupt with no defaults to restore it from is BootEnv. Empty for
// a device without an A/B ECU.
struct BootSide {
  std::unique_ptr<bootctl::BootEnv> env;
  std::optional<bootctl::BootControl> control;  // refers to *env
  std::optional<bootctl::BootStatus> status;
};
[[nodiscard]] Result<BootSide> open_boot(const config::Config& config);

// The device's anchor (TPM or file) as the configuration names it.
[[nodiscard]] Result<provisioning::DeviceAnchor> open_device_anchor(const config::Config& config);

// Where the signed manifest goes: PUT <director_url>/manifest.
[[nodiscard]] std::string manifest_url(const config::Config& config);

// `ratchet manifest`: the signed manifest of what the device runs now, with the last run's
// per-ECU results and any attack it detected. Verifies the anchored state first.
[[nodiscard]] Result<std::string> signed_manifest(const config::Config& config);

}  // namespace ratchet::update
