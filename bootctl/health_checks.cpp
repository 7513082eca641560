#include "bootctl/health_checks.hpp"

#include <cerrno>
#include <cstring>
#include <thread>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include "common/log.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): posix_spawn wants it

namespace ratchet::bootctl {
namespace {

using Clock = std::chrono::steady_clock;

Result<pid_t> spawn_shell(const std::string& command) {
  posix_spawnattr_t attr;
  if (posix_spawnattr_init(&attr) != 0) return fail(Code::Internal, "posix_spawnattr_init");
  // Its own process group, so a timeout kills the check and everything it started.
  (void)posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  (void)posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid = -1;
  std::string sh = "/bin/sh", dash_c = "-c", cmd = command;
  char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};
  const int rc = posix_spawn(&pid, "/bin/sh", nullptr, &attr, argv, environ);
  (void)posix_spawnattr_destroy(&attr);
  if (rc != 0)
    return fail(Code::HealthCheckFailed, "health check '{}' could not start: {}", command,
                std::strerror(rc));
  return pid;
}

Status run_one(const HealthCheck& check, Watchdog* watchdog,
               std::chrono::milliseconds keep_alive_every) {
  const pid_t pid = RATCHET_TRY(spawn_shell(check.command));
  const auto deadline = Clock::now() + check.timeout;
  auto next_keep_alive = Clock::now();
  while (true) {
    int status = 0;
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
      if (WIFEXITED(status))
        return fail(Code::HealthCheckFailed, "health check '{}' exited with {}", check.command,
                    WEXITSTATUS(status));
      return fail(Code::HealthCheckFailed, "health check '{}' was killed by signal {}",
                  check.command, WTERMSIG(status));
    }
    if (done < 0 && errno != EINTR)
      return fail(Code::Internal, "waitpid for health check '{}': {}", check.command,
                  std::strerror(errno));
    const auto now = Clock::now();
    if (now >= deadline) {
      (void)::kill(-pid, SIGKILL);
      (void)::waitpid(pid, &status, 0);
      return fail(Code::HealthCheckFailed, "health check '{}' did not finish within {} s",
                  check.command, check.timeout.count());
    }
    if (watchdog != nullptr && now >= next_keep_alive) {
      RATCHET_TRY(watchdog->keep_alive());
      next_keep_alive = now + keep_alive_every;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

Status run_health_checks(const std::vector<HealthCheck>& checks, Watchdog* watchdog,
                         std::chrono::milliseconds keep_alive_every) {
  for (const auto& check : checks) {
    log::info("health check: {}", check.command);
    RATCHET_TRY(run_one(check, watchdog, keep_alive_every));
  }
  if (watchdog != nullptr) RATCHET_TRY(watchdog->keep_alive());
  return {};
}

}  // namespace ratchet::bootctl
