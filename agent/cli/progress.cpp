#include "agent/cli/progress.hpp"

#include <cstdio>

#include <fmt/format.h>
#include <unistd.h>

#include "agent/tuf/canonical_json.hpp"
#include "common/log.hpp"

namespace ratchet::cli {

std::string human_bytes(double bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  return fmt::format("{:.1f} {}", bytes, kUnits[u]);
}

ProgressPrinter::ProgressPrinter(std::string stage, bool json)
    : stage_(std::move(stage)),
      style_(json ? ProgressStyle::Json
                  : (::isatty(STDERR_FILENO) ? ProgressStyle::Terminal : ProgressStyle::Log)) {}

void ProgressPrinter::update(std::uint64_t done, std::uint64_t total, std::uint64_t in_bytes,
                             double seconds, bool finished) {
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  const double eta = rate > 0 && total > done ? static_cast<double>(total - done) / rate : 0;
  const double pct = total > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 0;
  switch (style_) {
    case ProgressStyle::Json:
      // The stage names an ECU serial from the configuration: escaped by the JSON library.
      (void)std::fputs(
          fmt::format("{{\"stage\":{},\"done\":{},\"total\":{},\"in\":{},"
                      "\"seconds\":{:.3f},\"bytes_per_second\":{:.0f},"
                      "\"finished\":{}}}\n",
                      tuf::Json(stage_).dump(), done, total, in_bytes, seconds, rate, finished)
              .c_str(),
          stdout);
      (void)std::fflush(stdout);
      break;
    case ProgressStyle::Terminal: {
      const std::string line =
          fmt::format("\r{}: {:5.1f}%  {} / {}  {}/s  ETA {:.0f} s   ", stage_, pct,
                      human_bytes(static_cast<double>(done)),
                      human_bytes(static_cast<double>(total)), human_bytes(rate), eta);
      (void)std::fputs(line.c_str(), stderr);
      if (finished) (void)std::fputs("\n", stderr);
      drew_ = true;
      break;
    }
    case ProgressStyle::Log: {
      const auto now = std::chrono::steady_clock::now();
      if (!finished && now - last_log_ < std::chrono::seconds(10)) return;
      last_log_ = now;
      log::info("{}: {:.1f}% ({} of {}, {}/s)", stage_, pct, human_bytes(static_cast<double>(done)),
                human_bytes(static_cast<double>(total)), human_bytes(rate));
      break;
    }
  }
}

}  // namespace ratchet::cli
