// The kernel command line as the kernel reads it: whitespace-separated parameters, a value may
// be double-quoted, and for a parameter given twice the last one counts (as for root=).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "bootctl/slot.hpp"

namespace ratchet::bootctl {

// The value of `key` (e.g. "root"), the last occurrence; nullopt if absent.
[[nodiscard]] std::optional<std::string> cmdline_param(std::string_view cmdline,
                                                       std::string_view key);

// A RAUC slot as rauc.slot= names it: the bootname (A / B) or the slot name, whose index
// (rootfs.0, system1, ...) is the slot (0 is a, 1 is b), RAUC's own convention.
[[nodiscard]] std::optional<Slot> parse_rauc_slot(std::string_view value) noexcept;

}  // namespace ratchet::bootctl
