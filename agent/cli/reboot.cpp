#include "agent/cli/reboot.hpp"

#include <chrono>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "agent/cli/exit_code.hpp"
#include "bootctl/process.hpp"
#include "common/log.hpp"

namespace ratchet::cli {

int reboot(const std::vector<std::string>& argv, std::string_view into) {
  log::notice("rebooting into {}: {}", into, fmt::join(argv, " "));
  // systemctl reboot returns once the reboot is queued; a command that neither returns nor
  // reboots within the timeout is a failure to reboot, not a hang of the timer run.
  const auto ran = bootctl::run_process(
      {.argv = argv, .timeout = std::chrono::seconds{120}, .what = "the reboot command"}, nullptr,
      std::chrono::seconds{1});
  if (!ran) {
    log::error("{}", ran.error().message());
    return static_cast<int>(ExitCode::Local);
  }
  return static_cast<int>(ExitCode::RebootNeeded);
}

}  // namespace ratchet::cli
