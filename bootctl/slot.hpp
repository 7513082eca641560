// The two A/B slots.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ratchet::bootctl {

enum class Slot : std::uint8_t { A, B };

[[nodiscard]] constexpr Slot other(Slot s) noexcept {
  return s == Slot::A ? Slot::B : Slot::A;
}

// "a" / "b", the spelling used in the boot environment and on the command line.
[[nodiscard]] std::string_view slot_name(Slot s) noexcept;
[[nodiscard]] std::optional<Slot> parse_slot(std::string_view name) noexcept;

}  // namespace ratchet::bootctl
