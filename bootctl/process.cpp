#include "bootctl/process.hpp"

#include <cerrno>
#include <cstring>
#include <thread>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

extern char** environ;  // NOLINT(readability-redundant-declaration): posix_spawn wants it

namespace ratchet::bootctl {
namespace {

using Clock = std::chrono::steady_clock;

Result<pid_t> spawn(const ProcessSpec& spec) {
  if (spec.argv.empty() || spec.argv.front().empty())
    return fail(Code::HealthCheckFailed, "{}: no program to run", spec.what);
  std::vector<std::string> args = spec.argv;  // posix_spawn wants char*, not const char*
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawnattr_t attr;
  if (posix_spawnattr_init(&attr) != 0) return fail(Code::Internal, "posix_spawnattr_init");
  // Its own process group, so a timeout kills the program and everything it started.
  (void)posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  (void)posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv.front(), nullptr, &attr, argv.data(), environ);
  (void)posix_spawnattr_destroy(&attr);
  if (rc != 0)
    return fail(Code::HealthCheckFailed, "{} could not start {}: {}", spec.what, args.front(),
                std::strerror(rc));
  return pid;
}

}  // namespace

Status run_process(const ProcessSpec& spec, Watchdog* watchdog,
                   std::chrono::milliseconds keep_alive_every) {
  const pid_t pid = RATCHET_TRY(spawn(spec));
  const auto deadline = Clock::now() + spec.timeout;
  auto next_keep_alive = Clock::now();
  while (true) {
    int status = 0;
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
      if (WIFEXITED(status))
        return fail(Code::HealthCheckFailed, "{} exited with {}", spec.what, WEXITSTATUS(status));
      return fail(Code::HealthCheckFailed, "{} was killed by signal {}", spec.what,
                  WTERMSIG(status));
    }
    if (done < 0 && errno != EINTR)
      return fail(Code::Internal, "waitpid for {}: {}", spec.what, std::strerror(errno));
    const auto now = Clock::now();
    if (now >= deadline) {
      (void)::kill(-pid, SIGKILL);
      (void)::waitpid(pid, &status, 0);
      return fail(Code::HealthCheckFailed, "{} did not finish within {} s", spec.what,
                  spec.timeout.count());
    }
    if (watchdog != nullptr && now >= next_keep_alive) {
      RATCHET_TRY(watchdog->keep_alive());
      next_keep_alive = now + keep_alive_every;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

Result<std::vector<std::string>> split_command(std::string_view text, std::string_view what) {
  if (const auto bad = text.find_first_of("'\"\\$`;|&<>()*?[]{}~#\n\r"); bad != text.npos)
    return fail(Code::BadConfig,
                "{}: '{}' is shell syntax, and the command runs without a shell; write it as "
                "an array of arguments, e.g. [\"/usr/bin/flash\", \"--verify\"]",
                what, text.substr(bad, 1));
  std::vector<std::string> argv;
  std::size_t at = 0;
  while ((at = text.find_first_not_of(" \t", at)) != text.npos) {
    const auto end = text.find_first_of(" \t", at);
    argv.emplace_back(text.substr(at, end == text.npos ? text.npos : end - at));
    at = end;
  }
  if (argv.empty()) return fail(Code::BadConfig, "{} names no program", what);
  return argv;
}

}  // namespace ratchet::bootctl
