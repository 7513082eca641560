// The version floors the trusted store holds, per repository and role: what `ratchet status`
// shows and what the ECU manifest reports, so a backend can continue numbering above them
// instead of restarting (the re-provisioning field report, seed 000).
#pragma once

#include "agent/store/lmdb_store.hpp"
#include "agent/tuf/canonical_json.hpp"

namespace ratchet::store {

// {"director": {"root": 3, "targets": 41, ...}, "image": {...}}
[[nodiscard]] Result<tuf::Json> trusted_floors(const LmdbStore& db);

}  // namespace ratchet::store
