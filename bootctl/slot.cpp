#include "bootctl/slot.hpp"

namespace ratchet::bootctl {

std::string_view slot_name(Slot s) noexcept {
  return s == Slot::A ? "a" : "b";
}

std::optional<Slot> parse_slot(std::string_view name) noexcept {
  if (name == "a" || name == "A") return Slot::A;
  if (name == "b" || name == "B") return Slot::B;
  return std::nullopt;
}

}  // namespace ratchet::bootctl
