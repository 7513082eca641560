// Confirming a trial boot: arm the watchdog, run the health checks while keeping it alive, then
// mark the slot good -- and only then let the caller advance what belongs to the new image (the
// security-version and release-counter floors: advancing them before the slot is known good
// would strand a device whose new image does not boot) -- or mark it bad for the fallback.
#pragma once

#include <functional>
#include <optional>

#include "bootctl/boot_control.hpp"
#include "bootctl/health_checks.hpp"

namespace ratchet::bootctl {

struct ConfirmOptions {
  std::vector<HealthCheck> checks;
  std::chrono::seconds watchdog_timeout{120};
  std::chrono::milliseconds keep_alive_every{1000};
};

enum class ConfirmOutcome : std::uint8_t { NothingToConfirm, Good, Bad };

struct ConfirmResult {
  ConfirmOutcome outcome = ConfirmOutcome::NothingToConfirm;
  std::optional<Error> reason;  // why it is bad
  Slot slot = Slot::A;          // the slot that was on trial (meaningful unless NothingToConfirm)
};

// `on_good(slot)` runs once the environment says `slot` is good, and also when there is no trial
// to confirm and the boot slot is good (so a crash between the two is finished by the next run).
// `watchdog` may be null.
[[nodiscard]] Result<ConfirmResult> confirm_trial(BootControl& control, Watchdog* watchdog,
                                                  const ConfirmOptions& options,
                                                  const std::function<Status(Slot)>& on_good);

}  // namespace ratchet::bootctl
