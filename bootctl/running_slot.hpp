// What the running slot allows, whatever the environment claims: an install never writes the
// slot that runs, nor the fallback of a trial not yet confirmed, nor a slot the bootloader is
// set to boot without a trial; and nothing is decided when the running slot is unknown.
#pragma once

#include <optional>
#include <string>

#include "bootctl/ab_state.hpp"
#include "bootctl/booted_slot.hpp"

namespace ratchet::bootctl {

// Empty when the environment and the running slot agree (or the running slot is unknown);
// otherwise what is wrong, for `ratchet boot status` and the log.
[[nodiscard]] std::string env_disagreement(const BootState& s, std::optional<Slot> booted);

// The slot an install may write into: BootedSlotUnknown when the running slot cannot be
// determined, SlotMismatch when the environment would boot the slot that would be written.
[[nodiscard]] Result<Slot> slot_to_write(const BootState& s, const BootedSlot& booted);

}  // namespace ratchet::bootctl
