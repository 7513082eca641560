// The A/B slots as the agent drives them: each transition reads the environment, computes the
// variables that change (ab_state) and stores them in one write, read back.
#pragma once

#include <filesystem>
#include <optional>

#include "bootctl/ab_state.hpp"
#include "bootctl/boot_env.hpp"
#include "bootctl/booted_slot.hpp"

namespace ratchet::bootctl {

struct BootStatus {
  BootState state;
  BootedSlot booted;         // what runs, by detect_booted_slot (not what the environment says)
  std::string disagreement;  // non-empty when the environment and what runs disagree
  bool env_valid = true;
  std::string env;
};

class BootControl {
 public:
  // `slots` and `view`: how the running slot is found (detect_booted_slot). The bootloader passes
  // the slot it booted as ratchet.slot=a|b, so no environment write is needed on an ordinary boot.
  BootControl(BootEnv& env, SlotDevices slots, SystemView view)
      : env_(env), slots_(std::move(slots)), view_(std::move(view)) {}
  // No slot devices known: only the kernel command line at `cmdline` can say what runs.
  explicit BootControl(BootEnv& env, std::filesystem::path cmdline = "/proc/cmdline")
      : BootControl(env, {}, SystemView{.cmdline = std::move(cmdline)}) {}

  [[nodiscard]] Result<BootStatus> status();
  [[nodiscard]] Status arm_trial(Slot target);
  [[nodiscard]] Status mark_good();
  [[nodiscard]] Status mark_bad();
  [[nodiscard]] Status set_next(Slot slot);

 private:
  template <class Transition>
  [[nodiscard]] Status apply(const char* what, Transition transition);

  BootEnv& env_;
  SlotDevices slots_;
  SystemView view_;
};

}  // namespace ratchet::bootctl
