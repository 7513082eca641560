// The A/B state machine, over the variables the bootloader script (bootctl/uboot/boot.cmd) reads
// and writes; docs/boot.md has the picture. Pure functions: an environment in, the variables a
// transition changes out, so each transition is one store.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "bootctl/boot_env.hpp"
#include "bootctl/slot.hpp"

namespace ratchet::bootctl {

// U-Boot's own names where they exist.
inline constexpr std::string_view kSlotVar = "ratchet_slot";          // a|b: the slot to boot
inline constexpr std::string_view kPreviousVar = "ratchet_previous";  // fallback during a trial
inline constexpr std::string_view kBothBadVar = "ratchet_both_bad";   // set by the bootloader
inline constexpr std::string_view kUpgradeVar = "upgrade_available";  // 1: trial boot armed
inline constexpr std::string_view kBootcountVar = "bootcount";
inline constexpr std::string_view kBootlimitVar = "bootlimit";
inline constexpr unsigned kDefaultBootlimit = 3;
inline constexpr unsigned kMaxBootlimit = 99;  // the script counts without setexpr, up to 99
[[nodiscard]] std::string good_var(Slot s);    // ratchet_good_a / ratchet_good_b: 1 good, 0 bad

enum class Health : std::uint8_t { Good, Bad, Indeterminate };  // systemd bless-boot's words
[[nodiscard]] std::string_view health_name(Health h) noexcept;

struct BootState {
  Slot next = Slot::A;  // what the bootloader boots next
  std::array<Health, 2> health{Health::Indeterminate, Health::Indeterminate};
  Slot previous = Slot::A;  // meaningful while `trial`
  bool trial = false;
  unsigned bootcount = 0;
  unsigned bootlimit = kDefaultBootlimit;
  bool both_bad = false;
  std::vector<std::string> notes;  // malformed values that were read as their defaults

  [[nodiscard]] Health health_of(Slot s) const { return health[static_cast<std::size_t>(s)]; }
  [[nodiscard]] unsigned tries_left() const {
    return bootcount >= bootlimit ? 0 : bootlimit - bootcount;
  }
};

// Missing or malformed variables are read exactly as the bootloader script reads them (slot a,
// bootlimit 3, no trial; a malformed bootcount is used up), each noted, never an error.
[[nodiscard]] BootState parse_state(const Vars& vars);

// The variables of `wanted` whose value differs from `current`: fewer flash writes, and a no-op
// is no store at all.
[[nodiscard]] Changes only_changes(const Vars& current, Changes wanted);

// Each transition returns the variables it sets (callers apply only_changes against the stored
// environment). After installing into `target` (not the slot to boot now): boot it next, on trial,
// with the current slot as the fallback.
[[nodiscard]] Result<Changes> arm_trial(const BootState& s, Slot target);
// The trial slot (or the current one) works: stop counting, make it the known-good slot.
[[nodiscard]] Changes mark_good(const BootState& s);
// The trial slot (or the current one) does not work: back to the fallback; with no good slot
// left, keep booting this one and say so (never brick).
[[nodiscard]] Changes mark_bad(const BootState& s);
// Boot `slot` next: a trial boot if it is not already the boot slot.
[[nodiscard]] Result<Changes> set_next(const BootState& s, Slot slot);

}  // namespace ratchet::bootctl
