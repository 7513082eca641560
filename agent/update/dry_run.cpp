#include "agent/update/dry_run.hpp"

#include "agent/store/anchored_store.hpp"
#include "agent/store/failed_targets.hpp"
#include "agent/store/installed_images.hpp"
#include "agent/store/time_floor.hpp"
#include "agent/store/trusted_floors.hpp"
#include "agent/update/image_spec.hpp"
#include "agent/uptane/refresh.hpp"
#include "bootctl/running_slot.hpp"
#include "common/hex.hpp"
#include "streaming/install.hpp"

namespace ratchet::update {
namespace {

Result<PlannedTarget> plan(const config::Config& config, const store::LmdbStore& db,
                           const uptane::EcuTarget& t) {
  PlannedTarget p;
  p.ecu_serial = t.ecu_serial;
  p.name = t.name;
  p.payload_length = t.image.length;
  p.release_counter = t.release_counter.value_or(0);
  const auto spec = image_spec(t.name, t.image, config.max_image_size);
  if (!spec) {
    p.verdict =
        fmt::format("refused: {}: {}", code_name(spec.error().code()), spec.error().message());
    return p;
  }
  p.format = std::string(streaming::format_name(spec->format));
  p.image_length = spec->image_length;
  p.security_version = spec->security_version;
  const std::string sha =
      spec->image_digests.sha256 ? to_hex(*spec->image_digests.sha256) : std::string();
  const auto installed = RATCHET_TRY(store::installed_image(db, t.ecu_serial));
  const std::uint64_t floor = RATCHET_TRY(store::security_version_floor(db));
  const auto failed = RATCHET_TRY(store::failed_target(db, t.ecu_serial));
  std::optional<store::InstalledImage> trial;
  if (const auto pending = RATCHET_TRY(db.get(store::trial_key(t.ecu_serial))))
    trial = RATCHET_TRY(store::InstalledImage::from_json(*pending, "trial"));
  if (installed && installed->sha256 == sha) {
    p.verdict = "installed already";
  } else if (trial && trial->sha256 == sha) {
    p.verdict = "installed, waiting for its trial boot";
  } else if (spec->security_version < floor) {
    p.verdict = fmt::format(
        "refused: ReleaseCounterRollback: security version {} is below the "
        "device's floor {}",
        spec->security_version, floor);
  } else if (failed && failed->same_image(t.name, sha, spec->image_length)) {
    p.verdict =
        fmt::format("failed before ({}): not retried without --retry-failed", failed->reason);
  } else {
    p.would_install = true;
    p.verdict = "would install";
  }
  return p;
}

}  // namespace

Result<DryRunReport> dry_run(const config::Config& config, Sources& sources) {
  // What the real run refuses before it fetches anything, this refuses too: a slot path that
  // does not exist, a blank environment with no defaults, a running slot it cannot tell.
  RATCHET_TRY(config::check_slots(config));
  const auto boot = RATCHET_TRY(open_boot(config));
  if (boot.status)
    (void)RATCHET_TRY(bootctl::slot_to_write(boot.status->state, boot.status->booted));
  auto anchor = RATCHET_TRY(open_device_anchor(config));
  auto db = RATCHET_TRY(store::LmdbStore::open(config.storage_dir));
  // The trusted state is checked against its anchor first: a forged store is an error, not a
  // basis for "would accept".
  (void)RATCHET_TRY(store::AnchoredStore::open(db, anchor.anchor()));
  const tuf::Seconds now = RATCHET_TRY(store::verifier_now(db));

  std::vector<uptane::Ecu> ecus;
  std::map<std::string, std::uint64_t> counters;
  for (const auto& e : config.ecus) {
    ecus.push_back({e.serial, e.hardware_id});
    if (auto installed = RATCHET_TRY(store::installed_image(db, e.serial)))
      counters[e.serial] = installed->release_counter;
  }
  DryRunReport report;
  uptane::Refresh refresh(db, *sources.director, *sources.image, {.now = now});
  auto verified = refresh.run(ecus, counters);
  if (!verified) {
    if (verified.error().kind() != ErrorKind::Security) return fail(verified.error());
    report.refusal = std::move(verified).error();
    return report;
  }
  report.director_targets_version = verified->director_targets_version;
  for (const auto& t : verified->targets)
    report.targets.push_back(RATCHET_TRY(plan(config, db, t)));
  return report;
}

}  // namespace ratchet::update
