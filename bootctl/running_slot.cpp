#include "bootctl/running_slot.hpp"

namespace ratchet::bootctl {

std::string env_disagreement(const BootState& s, std::optional<Slot> booted) {
  if (!booted || s.trial || *booted == s.next) return {};
  return fmt::format(
      "the boot environment boots slot {} next, but slot {} is running (no trial armed)",
      slot_name(s.next), slot_name(*booted));
}

Result<Slot> slot_to_write(const BootState& s, const BootedSlot& booted) {
  if (!booted.slot)
    return fail(Code::BootedSlotUnknown,
                "cannot tell which slot is running ({}); refusing to write either slot",
                booted.how);
  const Slot running = *booted.slot;
  const Slot target = other(running);
  if (s.trial && s.next == running)
    return fail(Code::SlotMismatch,
                "slot {} runs on a trial boot that is not confirmed yet; writing slot {} would "
                "destroy its fallback (run ratchet confirm first)",
                slot_name(running), slot_name(target));
  if (!s.trial && s.next != running)
    return fail(Code::SlotMismatch,
                "the boot environment boots slot {} next, but slot {} is running; refusing to "
                "write slot {} (reboot, or fix the environment: ratchet boot status)",
                slot_name(s.next), slot_name(running), slot_name(target));
  return target;
}

}  // namespace ratchet::bootctl
