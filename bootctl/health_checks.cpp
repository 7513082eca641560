#include "bootctl/health_checks.hpp"

#include "bootctl/process.hpp"
#include "common/log.hpp"

namespace ratchet::bootctl {

Status run_health_checks(const std::vector<HealthCheck>& checks, Watchdog* watchdog,
                         std::chrono::milliseconds keep_alive_every) {
  for (const auto& check : checks) {
    log::info("health check: {}", check.command);
    // A check is a line of the root-owned configuration, run as `/bin/sh -c LINE` (pipes, &&,
    // exit codes of a script are what checks are written in); nothing is ever substituted into
    // it. Programs that take data as arguments run through run_process directly, without sh.
    RATCHET_TRY(run_process({.argv = {"/bin/sh", "-c", check.command},
                             .timeout = check.timeout,
                             .what = fmt::format("health check '{}'", check.command)},
                            watchdog, keep_alive_every));
  }
  if (watchdog != nullptr) RATCHET_TRY(watchdog->keep_alive());
  return {};
}

}  // namespace ratchet::bootctl
