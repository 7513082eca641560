// The checks that decide whether a trial boot is good: command lines of the (root-owned)
// configuration run one after another as `/bin/sh -c LINE` (bootctl/process.hpp), each with a
// timeout, while the watchdog is kept alive. A check that hangs is killed
// (with its whole process group) and fails; an agent that hangs is reset by the watchdog.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "bootctl/watchdog.hpp"

namespace ratchet::bootctl {

struct HealthCheck {
  std::string command;
  std::chrono::seconds timeout{60};
};

// HealthCheckFailed naming the first check that failed, timed out or could not start.
// `watchdog` may be null (no watchdog configured).
[[nodiscard]] Status run_health_checks(
    const std::vector<HealthCheck>& checks, Watchdog* watchdog,
    std::chrono::milliseconds keep_alive_every = std::chrono::milliseconds(1000));

}  // namespace ratchet::bootctl
