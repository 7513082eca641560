#include "tests/support/swtpm.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ratchet::test {
namespace {

using namespace std::chrono_literals;

bool can_connect(const std::filesystem::path& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string p = path.string();
  if (p.size() >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

std::string read_log(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

Swtpm::Swtpm() {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/swtpm-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr)
    throw std::runtime_error("mkdtemp " + tmpl + ": " + std::strerror(errno));
  dir_ = tmpl;
  // sun_path holds 107 characters: a long $TMPDIR would make the sockets unreachable.
  if ((dir_ / "s.ctrl").string().size() >= sizeof(sockaddr_un{}.sun_path)) {
    std::filesystem::remove_all(dir_);
    throw std::runtime_error("swtpm: socket path under " + dir_.string() + " is too long");
  }
  try {
    start();
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    throw;
  }
}

Swtpm::~Swtpm() {
  stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

bool Swtpm::available() {
  const char* path = std::getenv("PATH");
  std::string_view rest = path != nullptr ? path : "/usr/bin:/bin";
  while (!rest.empty()) {
    const auto colon = rest.find(':');
    const std::string_view entry = rest.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
    if (entry.empty()) continue;
    const std::string candidate = std::string(entry) + "/swtpm";
    if (::access(candidate.c_str(), X_OK) == 0) return true;
  }
  return false;
}

std::string Swtpm::tcti() const {
  return "swtpm:path=" + (dir_ / "s").string();
}

void Swtpm::start() {
  if (pid_ > 0) return;
  const std::string state = "dir=" + dir_.string();
  const std::string server = "type=unixio,path=" + (dir_ / "s").string();
  const std::string ctrl = "type=unixio,path=" + (dir_ / "s.ctrl").string();
  const std::vector<std::string> args = {"swtpm",
                                         "socket",
                                         "--tpm2",
                                         "--tpmstate",
                                         state,
                                         "--server",
                                         server,
                                         "--ctrl",
                                         ctrl,
                                         "--flags",
                                         "not-need-init,startup-clear"};
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  // Stale sockets from the previous run would only refuse connections, but be tidy.
  std::error_code ec;
  std::filesystem::remove(dir_ / "s", ec);
  std::filesystem::remove(dir_ / "s.ctrl", ec);
  const std::filesystem::path log = dir_ / "swtpm.log";
  const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0) throw std::runtime_error("open " + log.string() + ": " + std::strerror(errno));

  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Only async-signal-safe calls from here on. Die with the test process, even on abort.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(log_fd);
  pid_ = pid;

  // Ready when both sockets accept connections (tcti-swtpm talks to the control one first).
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (true) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("swtpm exited at startup (status " + std::to_string(status) +
                               "): " + read_log(log));
    }
    if (can_connect(dir_ / "s.ctrl") && can_connect(dir_ / "s")) return;
    if (std::chrono::steady_clock::now() > deadline) {
      stop();
      throw std::runtime_error("swtpm did not come up within 10 s: " + read_log(log));
    }
    std::this_thread::sleep_for(5ms);
  }
}

void Swtpm::stop() noexcept {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  int status = 0;
  while (true) {
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || (r < 0 && errno != EINTR)) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    std::this_thread::sleep_for(2ms);
  }
  pid_ = -1;
}

void Swtpm::restart() {
  stop();
  start();
}

}  // namespace ratchet::test
