// Owning handles for LMDB. A transaction handle aborts unless committed: commit() releases it.
#pragma once

#include <lmdb.h>

#include "common/handle.hpp"

namespace ratchet::lmdb {

using Env = Handle<MDB_env, mdb_env_close>;
using Txn = Handle<MDB_txn, mdb_txn_abort>;
using Cursor = Handle<MDB_cursor, mdb_cursor_close>;

// mdb_txn_commit frees the transaction whether or not it succeeds, so ownership ends here.
[[nodiscard]] inline int commit(Txn& txn) noexcept {
  return mdb_txn_commit(txn.release());
}

}  // namespace ratchet::lmdb
