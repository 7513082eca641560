// Freeze protection without a trusted clock: the verifier never believes it is earlier than the
// latest time it has already trusted. A device that boots at 1970 is not frozen on old metadata;
// a clock set backwards does not revive expired metadata.
#pragma once

#include "agent/store/lmdb_store.hpp"
#include "agent/tuf/metadata.hpp"

namespace ratchet::store {

inline constexpr std::string_view kTimeFloorKey = "time/floor";

// max(the libc clock, the stored floor).
[[nodiscard]] Result<tuf::Seconds> verifier_now(const LmdbStore& store);

}  // namespace ratchet::store
