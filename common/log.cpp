#include "common/log.hpp"

#include <atomic>
#include <charconv>
#include <cstdlib>
#include <mutex>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

namespace ratchet::log {
namespace {

std::atomic<Level> g_level{Level::Info};
// -1: decide from JOURNAL_STREAM once; 0/1: decided or forced.
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

bool names_stream(std::string_view value, unsigned long long device,
                  unsigned long long inode) noexcept {
  const auto colon = value.find(':');
  if (colon == std::string_view::npos) return false;
  unsigned long long dev = 0;
  unsigned long long ino = 0;
  const auto d = std::from_chars(value.data(), value.data() + colon, dev);
  const auto i = std::from_chars(value.data() + colon + 1, value.data() + value.size(), ino);
  return d.ec == std::errc() && d.ptr == value.data() + colon && i.ec == std::errc() &&
         i.ptr == value.data() + value.size() && dev == device && ino == inode;
}

namespace {

bool stderr_is_journal() noexcept {
  const char* stream = std::getenv("JOURNAL_STREAM");  // NOLINT(concurrency-mt-unsafe)
  struct stat st {};
  if (stream == nullptr || ::fstat(STDERR_FILENO, &st) != 0) return false;
  return names_stream(stream, st.st_dev, st.st_ino);
}

}  // namespace

void write(Level l, std::string_view message) noexcept {
  try {
    int prefixes = g_prefixes.load();
    if (prefixes < 0) {
      prefixes = stderr_is_journal() ? 1 : 0;
      g_prefixes.store(prefixes);
    }
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
