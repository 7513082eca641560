// Logging to stderr. When stderr is not a terminal (journald, a pipe), each line starts with the
// sd-daemon "<N>" priority prefix so journald files it at the right level.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include <fmt/format.h>

namespace ratchet::log {

// syslog(3) priorities, so the numbers are the ones journald expects.
enum class Level : std::uint8_t { Error = 3, Warning = 4, Notice = 5, Info = 6, Debug = 7 };

void set_level(Level max_level) noexcept;
[[nodiscard]] Level level() noexcept;
[[nodiscard]] bool enabled(Level l) noexcept;

// Parses "error", "warning", "notice", "info", "debug".
[[nodiscard]] std::optional<Level> parse_level(std::string_view name) noexcept;

// Forces the prefix style. By default `<N>` priority prefixes are written only when stderr is
// the journal: systemd sets JOURNAL_STREAM to "<device>:<inode>" of the stream it connected,
// and those match stderr's (a terminal, a pipe or a file get plain "warning: " labels).
void set_journal_prefixes(bool on) noexcept;

// Whether a JOURNAL_STREAM value names the file with this device and inode.
[[nodiscard]] bool names_stream(std::string_view journal_stream, unsigned long long device,
                                unsigned long long inode) noexcept;

// Writes one line, atomically with respect to other threads.
void write(Level l, std::string_view message) noexcept;

template <class... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::Error)) write(Level::Error, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void warning(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::Warning)) write(Level::Warning, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void notice(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::Notice)) write(Level::Notice, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::Info)) write(Level::Info, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::Debug)) write(Level::Debug, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace ratchet::log
