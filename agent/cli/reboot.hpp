// The reboot after `update --reboot` armed a trial, or after a failed confirmation: the configured
// command (`boot.reboot_command`, `--reboot-command`) run as an argument vector, never through a
// shell, with a timeout (bootctl/process.hpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ratchet::cli {

// Runs `argv`; RebootNeeded (10) once it exited 0, Local (40) with the reason logged when it
// could not start, failed or did not return. `into` says where the reboot goes, for the log.
[[nodiscard]] int reboot(const std::vector<std::string>& argv, std::string_view into);

}  // namespace ratchet::cli
