// How long work shows progress: a redrawn line on a terminal, JSON lines with --json, and a
// plain log line now and then for journald.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace ratchet::cli {

enum class ProgressStyle { Terminal, Json, Log };

class ProgressPrinter {
 public:
  // Terminal when stderr is a TTY, Log otherwise; Json when asked.
  ProgressPrinter(std::string stage, bool json);

  void update(std::uint64_t done, std::uint64_t total, std::uint64_t in_bytes, double seconds,
              bool finished);

 private:
  std::string stage_;
  ProgressStyle style_;
  std::chrono::steady_clock::time_point last_log_{};
  bool drew_ = false;
};

[[nodiscard]] std::string human_bytes(double bytes);

}  // namespace ratchet::cli
