#include "agent/store/time_floor.hpp"

#include <charconv>
#include <ctime>

#include "common/log.hpp"

namespace ratchet::store {
namespace {

Result<std::optional<tuf::Seconds>> stored_floor(const LmdbStore& store) {
  const auto stored = RATCHET_TRY(store.get(kTimeFloorKey));
  if (!stored) return std::optional<tuf::Seconds>();
  tuf::Seconds floor = 0;
  const auto [p, ec] = std::from_chars(stored->data(), stored->data() + stored->size(), floor);
  if (ec != std::errc() || p != stored->data() + stored->size())
    return fail(Code::StateForged, "store: {} is not a number", kTimeFloorKey);
  return std::optional(floor);
}

}  // namespace

Result<tuf::Seconds> verifier_now(const LmdbStore& store) {
  const auto clock = static_cast<tuf::Seconds>(::time(nullptr));
  const auto floor = RATCHET_TRY(stored_floor(store));
  if (!floor) return clock;
  if (clock < *floor) {
    log::warning("the clock reads {}, before the last trusted time {}: using the latter",
                 tuf::format_time(clock), tuf::format_time(*floor));
    return *floor;
  }
  return clock;
}

Result<bool> time_floor_due(const LmdbStore& store, tuf::Seconds now) {
  const auto floor = RATCHET_TRY(stored_floor(store));
  return !floor || now - *floor >= kTimeFloorStep;
}

}  // namespace ratchet::store
