#include "agent/update/failed_targets.hpp"

#include "agent/store/time_floor.hpp"
#include "agent/update/image_spec.hpp"
#include "common/hex.hpp"
#include "common/log.hpp"

namespace ratchet::update {
namespace {

// The identity of `target`'s image (as the installed and trial records name it), or nothing when
// its signed description does not say (the install reports that).
std::optional<store::FailedTarget> identity_of(const uptane::EcuTarget& target,
                                               std::uint64_t max_image) {
  const auto spec = image_spec(target.name, target.image, max_image);
  if (!spec || !spec->image_digests.sha256) return std::nullopt;
  store::FailedTarget f;
  f.name = target.name;
  f.sha256 = to_hex(*spec->image_digests.sha256);
  f.length = spec->image_length;
  return f;
}

}  // namespace

Result<std::string> failure_time(const store::LmdbStore& db) {
  return tuf::format_time(RATCHET_TRY(store::verifier_now(db)));
}

store::TrialVerdict boot_verdict(const bootctl::BootState& state, std::string when) {
  store::TrialVerdict v;
  if (state.trial) return v;
  const bootctl::Slot boot = state.next;
  const bootctl::Slot other = bootctl::other(boot);
  if (state.health_of(boot) == bootctl::Health::Good)
    v.good = std::string(bootctl::slot_name(boot));
  if (state.health_of(other) == bootctl::Health::Bad) {
    v.bad = std::string(bootctl::slot_name(other));
    v.why = fmt::format(
        "fallback: the boot environment boots slot {} with no trial armed and marks slot {} bad "
        "(its trial never confirmed: a bootloader fallback, a watchdog reset or mark-bad)",
        bootctl::slot_name(boot), bootctl::slot_name(other));
  }
  v.when = std::move(when);
  return v;
}

bool refuses_the_target(Code code) noexcept {
  switch (code) {
    case Code::TooLarge:
    case Code::LengthMismatch:
    case Code::HashMismatch:
    case Code::ChunkMismatch:
    case Code::BadCompression:
    case Code::ReleaseCounterRollback:
      return true;
    default:
      return false;
  }
}

Result<std::optional<store::FailedTarget>> failed_before(store::AnchoredStore& store,
                                                         const std::string& ecu_serial,
                                                         const uptane::EcuTarget& target,
                                                         std::uint64_t max_image,
                                                         bool retry_failed) {
  auto failed = RATCHET_TRY(store::failed_target(store.db(), ecu_serial));
  if (!failed) return failed;
  const auto id = identity_of(target, max_image);
  const bool same = id && failed->same_image(id->name, id->sha256, id->length);
  if (same && !retry_failed) return failed;
  if (same)
    log::notice("ECU {}: --retry-failed: the record of failed target {} is cleared", ecu_serial,
                failed->name);
  else
    log::notice("ECU {}: the Director assigns {}, not the failed target {}: its record is cleared",
                ecu_serial, target.name, failed->name);
  RATCHET_TRY(store.commit({.puts = {}, .erases = {store::failed_key(ecu_serial)}}));
  return std::optional<store::FailedTarget>();
}

Status record_refusal(store::AnchoredStore& store, const std::string& ecu_serial,
                      const uptane::EcuTarget& target, std::uint64_t max_image,
                      const Error& error) {
  if (!refuses_the_target(error.code())) return {};
  auto failed = identity_of(target, max_image);
  if (!failed) return {};
  failed->reason = error.to_string();
  failed->failed_at = RATCHET_TRY(failure_time(store.db()));
  log::warning(
      "ECU {}: target {} recorded as failed: not retried until the Director assigns "
      "another target or --retry-failed",
      ecu_serial, target.name);
  return store::record_failed(store, ecu_serial, *failed);
}

}  // namespace ratchet::update
