#include "common/log.hpp"

#include <atomic>
#include <mutex>
#include <string>

#include <unistd.h>

namespace ratchet::log {
namespace {

std::atomic<Level> g_level{Level::Info};
// -1: follow isatty(stderr); 0/1: forced.
std::atomic<int> g_prefixes{-1};
std::mutex g_write_mutex;

std::string_view tty_label(Level l) {
  switch (l) {
    case Level::Error:
      return "error: ";
    case Level::Warning:
      return "warning: ";
    case Level::Notice:
    case Level::Info:
      return "";
    case Level::Debug:
      return "debug: ";
  }
  return "";
}

}  // namespace

void set_level(Level max_level) noexcept {
  g_level.store(max_level);
}
Level level() noexcept {
  return g_level.load();
}
bool enabled(Level l) noexcept {
  return static_cast<int>(l) <= static_cast<int>(g_level.load());
}

std::optional<Level> parse_level(std::string_view name) noexcept {
  if (name == "error") return Level::Error;
  if (name == "warning") return Level::Warning;
  if (name == "notice") return Level::Notice;
  if (name == "info") return Level::Info;
  if (name == "debug") return Level::Debug;
  return std::nullopt;
}

void set_journal_prefixes(bool on) noexcept {
  g_prefixes.store(on ? 1 : 0);
}

void write(Level l, std::string_view message) noexcept {
  try {
    int prefixes = g_prefixes.load();
    if (prefixes < 0) prefixes = ::isatty(STDERR_FILENO) ? 0 : 1;
    std::string line;
    line.reserve(message.size() + 16);
    if (prefixes != 0) {
      line.push_back('<');
      line.push_back(static_cast<char>('0' + static_cast<int>(l)));
      line.push_back('>');
    } else {
      line.append(tty_label(l));
    }
    line.append(message);
    line.push_back('\n');
    const std::lock_guard lock(g_write_mutex);
    std::string_view rest(line);
    while (!rest.empty()) {
      const ssize_t n = ::write(STDERR_FILENO, rest.data(), rest.size());
      if (n <= 0) break;  // nowhere left to report a failure to log
      rest.remove_prefix(static_cast<std::size_t>(n));
    }
  } catch (...) {  // allocation failure: drop the line rather than throw from a logger
  }
}

}  // namespace ratchet::log
