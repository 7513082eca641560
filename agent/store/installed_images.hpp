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

// After `good_slot` was confirmed: each ECU's trial in that slot (or without a slot) becomes its
// installed image and the floors move to the max; a trial in the other slot failed and is
// dropped. One epoch commit, or none when there is nothing to do.
[[nodiscard]] Status promote_trials(AnchoredStore& store, std::string_view good_slot);

}  // namespace ratchet::store
