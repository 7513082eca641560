// A program running in the background for the length of a test (a server): stdout and stderr go
// to files, and the destructor stops it by its PID (SIGTERM, then SIGKILL after 5 s).
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace ratchet::test {

class BackgroundProcess {
 public:
  // argv[0] is looked up in PATH when it has no slash; output goes to `log_prefix`.out / .err.
  // Throws std::runtime_error when it cannot be started.
  BackgroundProcess(const std::vector<std::string>& argv, std::filesystem::path log_prefix);
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;
  ~BackgroundProcess();

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  [[nodiscard]] std::string out() const;
  [[nodiscard]] std::string err() const;

  // Waits (polling, up to `limit`) until stdout holds a full line starting with `prefix`; returns
  // the rest of that line, or nullopt when the process died or the time ran out.
  [[nodiscard]] std::optional<std::string> wait_for_line(
      const std::string& prefix, std::chrono::seconds limit = std::chrono::seconds(30));

  // SIGTERM (then SIGKILL after 5 s) and reaps it; the exit status (-1 when killed by a signal).
  int stop() noexcept;
  // Whether it is still running (reaps it when it has exited).
  [[nodiscard]] bool running() noexcept;

 private:
  std::filesystem::path prefix_;
  pid_t pid_ = -1;
  int status_ = 0;
};

// A TCP port on 127.0.0.1 that was free a moment ago (for programs that cannot take port 0).
[[nodiscard]] unsigned short free_loopback_port();

// Polls until 127.0.0.1:port accepts a connection or `limit` passes.
[[nodiscard]] bool wait_for_port(unsigned short port,
                                 std::chrono::seconds limit = std::chrono::seconds(30));

}  // namespace ratchet::test
