// What an ECU must not be given again: the target whose trial failed (a health check, a bootloader
// fallback, a watchdog reset) or whose bytes were refused for security. Kept in the anchored state
// (`ecu/<serial>/failed`) so that a timer run neither downloads nor arms it again (the mender#825
// loop) until the Director assigns another target or the operator asks (`--retry-failed`).
#pragma once

#include <optional>
#include <string>

#include "agent/store/anchored_store.hpp"
#include "agent/tuf/canonical_json.hpp"

namespace ratchet::store {

// NOLINTNEXTLINE(bugprone-exception-escape)
struct FailedTarget {
  // The identity, as the installed and trial records name an image: the target name and the
  // image's sha256 and length (the same image under the same name fails the same way again).
  std::string name;
  std::string sha256;
  std::uint64_t length = 0;
  std::string reason;     // why: "<Code>: <message>", or "fallback: ..."
  std::string failed_at;  // RFC 3339, the verifier's time (max(clock, time floor))

  [[nodiscard]] bool same_image(std::string_view other_name, std::string_view other_sha256,
                                std::uint64_t other_length) const noexcept {
    return name == other_name && sha256 == other_sha256 && length == other_length;
  }
  [[nodiscard]] tuf::Json to_json() const;
  [[nodiscard]] static Result<FailedTarget> from_json(std::string_view text, std::string_view what);
};

[[nodiscard]] std::string failed_key(std::string_view ecu_serial);

[[nodiscard]] Result<std::optional<FailedTarget>> failed_target(const LmdbStore& db,
                                                                std::string_view ecu_serial);

// Records `target` as the ECU's failed target in one anchored commit (replacing an older record).
[[nodiscard]] Status record_failed(AnchoredStore& store, std::string_view ecu_serial,
                                   const FailedTarget& target);

}  // namespace ratchet::store
