// The agent's rollback state, anchored in a monotonic epoch counter (Ariadne/Memoir-style state
// continuity): the store is accepted only when its sealed StateRecord verifies with the device's
// StateKey, its epoch equals the counter and every protected entry matches its digest. Deleting
// the store, restoring an old copy of it, moving it to another TPM or editing one floor is each
// detected and reported (StateMissing, StateRollback, StateForged), never silently re-initialised.
//
// Commit: (1) write the new entries and record as pending, (2) increment the epoch counter -- the
// commit point, (3) for a re-provisioning, increment the provisioning generation, (4) promote
// pending in one LMDB transaction. A crash anywhere is recovered by the next open(). A change
// that leaves every protected value as it is writes nothing. No two records are ever sealed for
// one epoch: a commit after an abandoned one (pending written, never incremented) seals past the
// abandoned record's epoch (docs/tpm.md).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "agent/store/lmdb_store.hpp"
#include "agent/store/state_record.hpp"
#include "tpm/counter_store.hpp"
#include "tpm/state_key.hpp"

namespace ratchet::store {

inline constexpr std::string_view kStateCurrent = "state/current";
inline constexpr std::string_view kStatePending = "state/pending";
inline constexpr std::string_view kPendingPrefix = "pending/";

// The steps of a commit, for crash tests that stop the process between them.
// EpochSkipped: after each increment through an abandoned record's epoch, before the last one.
enum class CommitStep : std::uint8_t {
  PendingWritten,
  EpochSkipped,
  EpochIncremented,
  GenerationIncremented
};

struct Anchor {
  tpm::CounterStore* counters = nullptr;
  tpm::StateKey* key = nullptr;
};

class AnchoredStore {
 public:
  // Verifies (and, after a crash, recovers) the state. NotProvisioned when neither the counter
  // nor any state exists.
  [[nodiscard]] static Result<AnchoredStore> open(LmdbStore& db, Anchor anchor);

  // For provisioning only: a store whose next commit replaces every protected entry, whatever
  // state (if any) was there. Callers must have verified their authority to do so (a fresh
  // enrollment or a signed provisioning record).
  [[nodiscard]] static Result<AnchoredStore> replace_all(LmdbStore& db, Anchor anchor);

  struct Change {
    std::map<std::string, std::string> puts;
    std::vector<std::string> erases;
    bool new_generation = false;  // also increment the provisioning generation (re-provisioning)
    // Committed only together with a change of the puts or erases, never on their own (the time
    // floor between its steps: docs/storage.md).
    std::map<std::string, std::string> riders = {};
  };
  // All keys must be protected ones. On success the new state is trusted and durable. A change
  // whose puts equal what is stored and whose erases name nothing stored is a no-op: no write,
  // no increment. Busy when another process committed since this object loaded the state.
  [[nodiscard]] Status commit(const Change& change);

  [[nodiscard]] std::uint64_t epoch() const noexcept { return record_.epoch; }
  [[nodiscard]] std::uint64_t generation() const noexcept { return record_.generation; }
  [[nodiscard]] const LmdbStore& db() const noexcept { return *db_; }

  // Test hook, called after each commit step.
  std::function<void(CommitStep)> on_step;

 private:
  AnchoredStore(LmdbStore& db, Anchor anchor) : db_(&db), anchor_(anchor) {}
  [[nodiscard]] Status promote(const StateRecord& pending, std::string_view sealed);
  [[nodiscard]] Result<std::uint64_t> abandoned_epoch(std::uint64_t counter) const;
  [[nodiscard]] Status increment_to(std::uint64_t from, std::uint64_t to,
                                    const std::function<void(CommitStep)>* step);
  [[nodiscard]] Status check_entries(const StateRecord& record) const;
  [[nodiscard]] Status settle_generation();

  LmdbStore* db_;
  Anchor anchor_;
  StateRecord record_;
  std::string sealed_;  // state/current as this object last read or wrote it
  bool replacing_ = false;
};

}  // namespace ratchet::store
