// Watchdog over the Linux watchdog API (/dev/watchdog): WDIOC_SETTIMEOUT, WDIOC_KEEPALIVE and the
// magic close ('V' before close). If the process dies before disarm() the kernel keeps the timer
// running ("watchdog did not stop!") and the board resets: exactly what we want.
#pragma once

#include <filesystem>

#include "bootctl/watchdog.hpp"
#include "common/fd.hpp"

namespace ratchet::bootctl {

class LinuxWatchdog final : public Watchdog {
 public:
  explicit LinuxWatchdog(std::filesystem::path device = "/dev/watchdog")
      : device_(std::move(device)) {}

  [[nodiscard]] Status arm(std::chrono::seconds timeout) override;
  [[nodiscard]] Status keep_alive() override;
  [[nodiscard]] Status disarm() override;
  [[nodiscard]] std::string describe() const override { return device_.string(); }

 private:
  std::filesystem::path device_;
  UniqueFd fd_;
};

}  // namespace ratchet::bootctl
