// Running a configured program without a shell: an argument vector handed to posix_spawnp (a
// name without '/' is looked up in PATH, as execvp does), so no argument, a file path least of
// all, is ever parsed as shell syntax. Each run has a timeout, kills its whole process group when
// it is exceeded, and keeps the watchdog alive while it waits. Health checks and the `command`
// ECU's flash program both run through here.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "bootctl/watchdog.hpp"
#include "common/result.hpp"

namespace ratchet::bootctl {

struct ProcessSpec {
  std::vector<std::string> argv;  // argv[0] is the program
  std::chrono::seconds timeout{60};
  std::string what;  // names it in messages: "health check 'true'", "ECU mcu: flash command"
};

// Ok when the program exits 0; otherwise HealthCheckFailed naming `what` and why (could not
// start, exit status, signal, timeout). `watchdog` may be null.
[[nodiscard]] Status run_process(const ProcessSpec& spec, Watchdog* watchdog,
                                 std::chrono::milliseconds keep_alive_every);

// A configured command written as one string: split on spaces and tabs into an argument vector.
// Nothing runs through a shell, so a string with shell syntax in it (quotes, $, backquotes, ;, |,
// &, redirections, globs, #) is BadConfig naming `what` rather than run differently than its
// author meant: such a command needs an argument array, or a script of its own.
[[nodiscard]] Result<std::vector<std::string>> split_command(std::string_view text,
                                                             std::string_view what);

}  // namespace ratchet::bootctl
