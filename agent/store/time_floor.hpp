// Freeze protection without a trusted clock: the verifier never believes it is earlier than the
// latest time it has already trusted. A device that boots at 1970 is not frozen on old metadata;
// a clock set backwards does not revive expired metadata.
#pragma once

#include "agent/store/lmdb_store.hpp"
#include "agent/tuf/metadata.hpp"

namespace ratchet::store {

inline constexpr std::string_view kTimeFloorKey = "time/floor";

// The floor moves in the anchored state on its own only when it advanced by at least this much:
// the shortest expiry window in use (a timestamp re-signed daily). Between steps it moves only
// with a commit that happens anyway. Why this is enough is in docs/storage.md.
inline constexpr tuf::Seconds kTimeFloorStep = tuf::Seconds{24} * 3600;

// max(the libc clock, the stored floor).
[[nodiscard]] Result<tuf::Seconds> verifier_now(const LmdbStore& store);

// Whether a refresh verified at `now` must commit the floor on its own: there is none yet, or
// `now` is at least kTimeFloorStep past it.
[[nodiscard]] Result<bool> time_floor_due(const LmdbStore& store, tuf::Seconds now);

}  // namespace ratchet::store
