// A watchdog that resets the board unless it is kept alive: the backstop while a trial boot is
// being confirmed (if the agent hangs, the board resets and the boot counter takes over).
#pragma once

#include <chrono>
#include <string>

#include "common/result.hpp"

namespace ratchet::bootctl {

class Watchdog {
 public:
  Watchdog() = default;
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  virtual ~Watchdog() = default;  // closing without disarm() leaves it armed

  [[nodiscard]] virtual Status arm(std::chrono::seconds timeout) = 0;
  [[nodiscard]] virtual Status keep_alive() = 0;
  // Stops it (the Linux "magic close"), once the work it guarded is done.
  [[nodiscard]] virtual Status disarm() = 0;
  [[nodiscard]] virtual std::string describe() const = 0;
};

}  // namespace ratchet::bootctl
