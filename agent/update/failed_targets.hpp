// A failed update is not retried forever (the mender#825 loop: with `--reboot` on a timer, a
// device would otherwise download, arm and boot a failing image every period). A target whose
// trial failed or whose bytes were refused for security is recorded for its ECU in the anchored
// state (store/failed_targets.hpp); later runs neither download nor arm it until the Director
// assigns another target (whose install replaces the record) or `--retry-failed` is given.
#pragma once

#include "agent/store/failed_targets.hpp"
#include "agent/store/installed_images.hpp"
#include "agent/uptane/verification.hpp"
#include "bootctl/ab_state.hpp"

namespace ratchet::update {

// When the record is made: the verifier's notion of now (max(clock, time floor)), RFC 3339.
[[nodiscard]] Result<std::string> failure_time(const store::LmdbStore& db);

// What the boot environment says became of the trials. While a trial is armed: nothing yet.
// Otherwise the boot slot, when good, is confirmed, and the other slot, when marked bad, failed
// (a health check, a bootloader fallback after `bootlimit` attempts, a watchdog reset, mark-bad).
[[nodiscard]] store::TrialVerdict boot_verdict(const bootctl::BootState& state, std::string when);

// The codes that refuse the target itself (its bytes, or its release counter or security version
// against the device's floors), as opposed to the metadata set (a re-signed set fixes those under
// the same target identity, so recording them would block the fix).
[[nodiscard]] bool refuses_the_target(Code code) noexcept;

// Before installing `target` on the ECU: the record of a failed target it holds, when `target`
// is that same image and the operator did not ask to retry (the caller then skips it and logs
// why; nothing is written). A record of another image, or one the operator retries
// (`retry_failed`), is cleared in one anchored commit: the Director assigned something else (even
// the image that runs), or the operator chose to try again.
[[nodiscard]] Result<std::optional<store::FailedTarget>> failed_before(
    store::AnchoredStore& store, const std::string& ecu_serial, const uptane::EcuTarget& target,
    std::uint64_t max_image, bool retry_failed);

// After installing `target` on the ECU failed with `error`: when the error refuses the target,
// records it as failed (one anchored commit). Otherwise nothing.
[[nodiscard]] Status record_refusal(store::AnchoredStore& store, const std::string& ecu_serial,
                                    const uptane::EcuTarget& target, std::uint64_t max_image,
                                    const Error& error);

}  // namespace ratchet::update
