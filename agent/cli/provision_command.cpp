// `ratchet provision` (the factory line) and `ratchet reprovision RECORD` (a new lineage from a
// signed provisioning record). Both print the device's enrollment as JSON on stdout, for the
// factory database / the backend.
#include <cstdio>
#include <memory>

#include "agent/cli/anchor_options.hpp"
#include "agent/cli/command.hpp"
#include "agent/provisioning/provisioning.hpp"
#include "common/file.hpp"
#include "common/log.hpp"

namespace ratchet::cli {
namespace {

constexpr std::uint64_t kMaxRoot = 512000;

struct ProvisionOptions {
  std::string storage_dir, device_id, director_root, image_root;
  AnchorOptions anchor;
};

struct ReprovisionOptions {
  std::string storage_dir, record, provisioning_keys, device_id;
  AnchorOptions anchor;
};

Status print_enrollment(const provisioning::Enrollment& e) {
  const auto text = RATCHET_TRY(provisioning::enrollment_json(e));
  (void)std::printf("%s\n", text.c_str());
  return {};
}

Status run_provision(const ProvisionOptions& o) {
  provisioning::FactoryInput in;
  in.device_id = o.device_id;
  in.director_root = RATCHET_TRY(read_file(o.director_root, kMaxRoot));
  in.image_root = RATCHET_TRY(read_file(o.image_root, kMaxRoot));
  auto anchor = RATCHET_TRY(o.anchor.open());
  auto db = RATCHET_TRY(store::LmdbStore::open(o.storage_dir));
  const auto e = RATCHET_TRY(provisioning::provision(db, anchor, in));
  if (!e.changed) log::notice("already provisioned: nothing changed");
  return print_enrollment(e);
}

Status run_reprovision(const ReprovisionOptions& o) {
  const auto record = RATCHET_TRY(read_file(o.record, provisioning::kMaxRecord));
  const auto keys_text = RATCHET_TRY(read_file(o.provisioning_keys, 1u << 20));
  const auto keys =
      RATCHET_TRY(provisioning::parse_provisioning_keys(keys_text, o.provisioning_keys));
  auto anchor = RATCHET_TRY(o.anchor.open());
  auto db = RATCHET_TRY(store::LmdbStore::open(o.storage_dir));
  const auto e = RATCHET_TRY(provisioning::reprovision(db, anchor, record, keys, o.device_id));
  return print_enrollment(e);
}

template <class F>
Command finish(CLI::App* app, F run) {
  return {app, [run] {
            auto s = run();
            return s ? 0 : report_error(s.error());
          }};
}

}  // namespace

Command add_provision_command(CLI::App& parent) {
  auto o = std::make_shared<ProvisionOptions>();
  CLI::App* app = parent.add_subcommand(
      "provision", "Factory enrollment: counters, state key, ECU key, initial roots (idempotent)");
  app->add_option("--storage-dir", o->storage_dir, "trusted state")->required();
  app->add_option("--device-id", o->device_id, "this device's identity")->required();
  app->add_option("--director-root", o->director_root, "initial Director root.json")->required();
  app->add_option("--image-root", o->image_root, "initial Image repository root.json")->required();
  add_anchor_options(*app, o->anchor);
  return finish(app, [o] { return run_provision(*o); });
}

Command add_reprovision_command(CLI::App& parent) {
  auto o = std::make_shared<ReprovisionOptions>();
  CLI::App* app = parent.add_subcommand(
      "reprovision", "Start a new provisioning lineage from a signed provisioning record");
  app->add_option("record", o->record, "the provisioning record (JSON)")->required();
  app->add_option("--storage-dir", o->storage_dir, "trusted state")->required();
  app->add_option("--provisioning-keys", o->provisioning_keys,
                  "provisioning keys the device trusts (from its read-only configuration)")
      ->required();
  app->add_option("--device-id", o->device_id,
                  "this device's identity (needed only to recover a lost or stale store)");
  add_anchor_options(*app, o->anchor);
  return finish(app, [o] { return run_reprovision(*o); });
}

}  // namespace ratchet::cli
