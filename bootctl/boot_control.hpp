// The A/B slots as the agent drives them: each transition reads the environment, computes the
// variables that change (ab_state) and stores them in one write, read back.
#pragma once

#include <filesystem>
#include <optional>

#include "bootctl/ab_state.hpp"
#include "bootctl/boot_env.hpp"

namespace ratchet::bootctl {

struct BootStatus {
  BootState state;
  std::optional<Slot> booted;  // from the kernel command line (ratchet.slot=a|b), if it says
  bool env_valid = true;
  std::string env;
};

class BootControl {
 public:
  // `cmdline`: where the kernel command line is (/proc/cmdline); the bootloader passes the slot
  // it booted as ratchet.slot=a|b, so no environment write is needed on an ordinary boot.
  explicit BootControl(BootEnv& env, std::filesystem::path cmdline = "/proc/cmdline")
      : env_(env), cmdline_(std::move(cmdline)) {}

  [[nodiscard]] Result<BootStatus> status();
  [[nodiscard]] Status arm_trial(Slot target);
  [[nodiscard]] Status mark_good();
  [[nodiscard]] Status mark_bad();
  [[nodiscard]] Status set_next(Slot slot);

 private:
  template <class Transition>
  [[nodiscard]] Status apply(const char* what, Transition transition);

  BootEnv& env_;
  std::filesystem::path cmdline_;
};

// The slot named by ratchet.slot= in a kernel command line.
[[nodiscard]] std::optional<Slot> booted_slot(std::string_view cmdline);

}  // namespace ratchet::bootctl
