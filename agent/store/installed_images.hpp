// What each ECU runs, and the floors that come with it. An install records the new image as the
// ECU's trial; only a confirmed boot (ratchet confirm) makes it the installed image and moves
// the release-counter and security-version floors up -- never down.
#pragma once

#include <optional>
#include <string>

#include "agent/store/anchored_store.hpp"
#include "agent/tuf/canonical_json.hpp"

namespace ratchet::store {

inline constexpr std::string_view kSecurityVersionKey = "device/security-version";

// NOLINTNEXTLINE(bugprone-exception-escape)
struct InstalledImage {
  std::string name;
  std::string sha256;
  std::uint64_t length = 0;
  std::uint64_t release_counter = 0;
  std::uint64_t security_version = 0;
  std::string slot;  // the A/B slot it was written to; empty for an ECU without slots

  [[nodiscard]] tuf::Json to_json() const;
  [[nodiscard]] static Result<InstalledImage> from_json(std::string_view text,
                                                        std::string_view what);
};

[[nodiscard]] std::string trial_key(std::string_view ecu_serial);
[[nodiscard]] std::string installed_key(std::string_view ecu_serial);

[[nodiscard]] Result<std::optional<InstalledImage>> installed_image(const LmdbStore& db,
                                                                    std::string_view ecu_serial);
// The device's security-version floor (0 before any confirmed image carried one).
[[nodiscard]] Result<std::uint64_t> security_version_floor(const LmdbStore& db);

// An ECU without slots: the image is installed at once (floors move up in the same commit).
[[nodiscard]] Status record_installed(AnchoredStore& store, std::string_view ecu_serial,
                                      const InstalledImage& image);

// What the boot environment says became of the A/B trials.
// NOLINTNEXTLINE(bugprone-exception-escape)
struct TrialVerdict {
  // Confirmed (or booted, good, with no trial armed): its trials and those without a slot become
  // the installed images; a trial in another slot that is not `bad` was never armed (a crash
  // between recording and arming it) and is only dropped.
  std::optional<std::string> good;
  // Failed (marked bad: a health check, a bootloader fallback, a watchdog reset): its trials are
  // dropped and recorded as the ECU's failed target (failed_targets.hpp), with `why` and `when`.
  std::optional<std::string> bad;
  std::string why;
  std::string when;
};

// Applies `verdict`: the floors move to the max of the promoted images' (never down), each
// promoted or failed trial is dropped. One epoch commit, or none when there is nothing to do.
[[nodiscard]] Status settle_trials(AnchoredStore& store, const TrialVerdict& verdict);

}  // namespace ratchet::store
