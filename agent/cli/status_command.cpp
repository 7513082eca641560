// `ratchet status [--json]`: the device's identity, what anchors its rollback floors (and a loud
// line when that is not hardware), whether the anchored state verifies, and the floors.
#include <cstdio>
#include <memory>

#include "agent/cli/anchor_options.hpp"
#include "agent/cli/command.hpp"
#include "agent/cli/device_config.hpp"
#include "agent/provisioning/provisioning.hpp"
#include "agent/store/failed_targets.hpp"
#include "agent/store/installed_images.hpp"
#include "agent/store/trusted_floors.hpp"

namespace ratchet::cli {
namespace {

struct StatusOptions {
  DeviceConfigOption config;
  std::string storage_dir;
  AnchorOptions anchor;
  bool json = false;
};

// Exit code: 0 when the state verifies, else the state error's.
int run_status(StatusOptions o) {
  if (auto filled = fill_from_config(o.config, o.storage_dir, &o.anchor); !filled)
    return report_error(filled.error());
  auto db = store::LmdbStore::open(o.storage_dir);
  if (!db) return report_error(db.error());
  tuf::Json out = tuf::Json::object();
  std::optional<Error> problem;
  if (!o.anchor.given()) {
    out["anchor"] = "none";
    out["hardware_anchored"] = false;
    out["state"] = "not anchored";
  } else if (auto anchor = o.anchor.open(); !anchor) {
    problem = anchor.error();
  } else {
    out["anchor"] = anchor->counters->describe();
    out["hardware_anchored"] = anchor->hardware_anchored();
    if (auto e = provisioning::describe(*db, *anchor)) {
      out["state"] = "ok";
      out["device_id"] = e->device_id;
      out["provisioning_generation"] = e->generation;
      out["epoch"] = e->epoch;
      out["ecu_key"] = e->signing_key;
    } else {
      problem = e.error();
    }
  }
  if (problem) out["state"] = fmt::format("{}: {}", code_name(problem->code()), problem->message());
  if (auto floors = store::trusted_floors(*db)) out["floors"] = *floors;
  // Per ECU: the image it runs (known good), the one on trial, and a target that failed and is
  // not retried, if any ("ecu/<serial>/installed|trial|failed").
  std::vector<std::string> failures;
  if (auto entries = db->scan("ecu/")) {
    tuf::Json ecus = tuf::Json::object();
    for (const auto& [key, value] : *entries) {
      const auto slash = key.rfind('/');
      if (slash <= 4) continue;
      const std::string serial = key.substr(4, slash - 4);
      if (key == store::failed_key(serial)) {
        auto failed = store::FailedTarget::from_json(value, key);
        if (!failed) continue;  // the state check above reports a damaged entry
        ecus[serial]["failed"] = failed->to_json();
        failures.push_back(fmt::format("ECU {}: {} failed on {}: {}", serial, failed->name,
                                       failed->failed_at, failed->reason));
        continue;
      }
      auto image = store::InstalledImage::from_json(value, key);
      if (!image) continue;
      ecus[serial][key.substr(slash + 1)] = image->to_json();
    }
    out["ecus"] = ecus;
  }
  if (auto floor = store::security_version_floor(*db)) out["security_version_floor"] = *floor;

  if (o.json) {
    (void)std::printf("%s\n", out.dump().c_str());
  } else {
    for (const auto& [key, value] : out.items())
      (void)std::printf(
          "%-24s %s\n", (key + ":").c_str(),
          value.is_string() ? value.get<std::string>().c_str() : value.dump().c_str());
    for (const auto& f : failures)
      (void)std::printf(
          "NOT RETRIED: %s (until the Director assigns another target or "
          "ratchet update --retry-failed)\n",
          f.c_str());
    // Only for the file anchor: an unreachable TPM is an error naming its TCTI, not this.
    if (out.contains("hardware_anchored") && out["hardware_anchored"] == false)
      (void)std::printf("WARNING: rollback floors are not hardware-anchored\n");
  }
  return problem ? report_error(*problem) : 0;
}

}  // namespace

Command add_status_command(CLI::App& parent) {
  auto o = std::make_shared<StatusOptions>();
  CLI::App* app = parent.add_subcommand("status", "Device identity, anchor, state and floors");
  add_config_option(*app, o->config);
  app->add_option("--storage-dir", o->storage_dir, "trusted state");
  add_anchor_options(*app, o->anchor);
  app->add_flag("--json", o->json, "JSON on stdout");
  return {app, [o] { return run_status(*o); }};
}

}  // namespace ratchet::cli
