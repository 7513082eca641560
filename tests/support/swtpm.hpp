// A private swtpm (TPM 2.0 simulator) per test: its own state directory and unix sockets, so tests
// run in parallel without port races. A second Swtpm is a different TPM (other seeds).
#pragma once

#include <filesystem>
#include <string>

#include <sys/types.h>

namespace ratchet::test {

class Swtpm {
 public:
  // Starts swtpm in a fresh directory under $TMPDIR; throws std::runtime_error if it does not come
  // up within 10 s. Create it on the test's main thread: the child dies with the forking thread.
  Swtpm();
  Swtpm(const Swtpm&) = delete;
  Swtpm& operator=(const Swtpm&) = delete;
  ~Swtpm();

  // swtpm is on PATH; tests GTEST_SKIP() without it.
  [[nodiscard]] static bool available();

  // "swtpm:path=<dir>/s" for Tss2_TctiLdr_Initialize; TPM2TOOLS_TCTI takes the same string.
  [[nodiscard]] std::string tcti() const;
  [[nodiscard]] const std::filesystem::path& dir() const noexcept { return dir_; }

  // A power cycle: kill without TPM2_Shutdown (a non-orderly shutdown) and start again on the
  // same state.
  void restart();
  // Kills swtpm (SIGTERM, SIGKILL after 2 s); the state stays until the destructor.
  void stop() noexcept;
  void start();

 private:
  std::filesystem::path dir_;
  pid_t pid_ = -1;
};

}  // namespace ratchet::test
