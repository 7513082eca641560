#include "agent/store/time_floor.hpp"

#include <charconv>
#include <ctime>

#include "common/log.hpp"

namespace ratchet::store {

Result<tuf::Seconds> verifier_now(const LmdbStore& store) {
  const auto clock = static_cast<tuf::Seconds>(::time(nullptr));
  const auto stored = RATCHET_TRY(store.get(kTimeFloorKey));
  if (!stored) return clock;
  tuf::Seconds floor = 0;
  const auto [p, ec] = std::from_chars(stored->data(), stored->data() + stored->size(), floor);
  if (ec != std::errc() || p != stored->data() + stored->size())
    return fail(Code::StateForged, "store: {} is not a number", kTimeFloorKey);
  if (clock < floor) {
    log::warning("the clock reads {}, before the last trusted time {}: using the latter",
                 tuf::format_time(clock), tuf::format_time(floor));
    return floor;
  }
  return clock;
}

}  // namespace ratchet::store
