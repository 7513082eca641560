// Runs a program to completion for tests: captured stdout/stderr and the exit status.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace ratchet::test {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal (see signal)
  int signal = 0;
  std::string out;
  std::string err;
};

// argv[0] is the program (looked up in PATH when it has no slash). Extra environment entries are
// "NAME=value" strings added to the inherited environment. The child is killed (SIGKILL: a power
// cut, as far as its files are concerned) after `timeout`.
ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::vector<std::string>& extra_env = {},
                          std::chrono::milliseconds timeout = std::chrono::seconds(120));

}  // namespace ratchet::test
