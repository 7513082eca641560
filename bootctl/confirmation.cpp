#include "bootctl/confirmation.hpp"

#include "common/log.hpp"

namespace ratchet::bootctl {

Result<ConfirmResult> confirm_trial(BootControl& control, Watchdog* watchdog,
                                    const ConfirmOptions& options,
                                    const std::function<Status(Slot)>& on_good) {
  const auto status = RATCHET_TRY(control.status());
  const auto& s = status.state;
  ConfirmResult result;
  // Nothing is vouched for without knowing what runs: no mark, no floor.
  if (!status.booted.slot)
    return fail(Code::BootedSlotUnknown,
                "cannot tell which slot is running ({}); nothing confirmed, no floor advanced",
                status.booted.how);
  const Slot running = *status.booted.slot;
  if (!s.trial) {
    if (running != s.next)
      return fail(Code::SlotMismatch, "{}; nothing confirmed, no floor advanced",
                  status.disagreement);
    log::info("no trial boot to confirm (running slot {}, {})", slot_name(s.next),
              health_name(s.health_of(s.next)));
    if (s.health_of(s.next) == Health::Good && on_good) RATCHET_TRY(on_good(s.next));
    return result;
  }
  result.slot = s.next;
  if (running != s.next) {
    // The trial slot is not what runs: the bootloader did not (or could not) boot it.
    result.outcome = ConfirmOutcome::Bad;
    result.reason = Error(Code::HealthCheckFailed,
                          fmt::format("slot {} is on trial but slot {} is running ({})",
                                      slot_name(s.next), slot_name(running), status.booted.how));
    RATCHET_TRY(control.mark_bad());
    return result;
  }
  log::info("slot {} runs on trial ({})", slot_name(running), status.booted.how);

  if (watchdog != nullptr)
    RATCHET_TRY(watchdog->arm(options.watchdog_timeout));
  else
    log::warning("confirming without a watchdog: a hang here waits for a power cycle");

  if (auto checks = run_health_checks(options.checks, watchdog, options.keep_alive_every);
      !checks) {
    log::error("slot {} failed its health checks: {}", slot_name(s.next), checks.error().message());
    RATCHET_TRY(control.mark_bad());
    // The watchdog stays armed: if the reboot into the fallback hangs, it resets the board.
    result.outcome = ConfirmOutcome::Bad;
    result.reason = std::move(checks).error();
    return result;
  }
  RATCHET_TRY(control.mark_good());
  result.outcome = ConfirmOutcome::Good;
  log::notice("slot {} is good", slot_name(s.next));
  if (on_good) RATCHET_TRY(on_good(s.next));
  if (watchdog != nullptr) RATCHET_TRY(watchdog->disarm());
  return result;
}

}  // namespace ratchet::bootctl
