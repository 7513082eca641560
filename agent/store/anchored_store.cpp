#include "agent/store/anchored_store.hpp"

#include <cerrno>
#include <chrono>
#include <optional>
#include <thread>

#include <fcntl.h>
#include <sys/file.h>

#include "common/file.hpp"

namespace ratchet::store {
namespace {

using tpm::Counter;

std::string pending_key(std::string_view key) {
  return std::string(kPendingPrefix) + std::string(key);
}

// Every protected entry the store holds now.
Result<std::map<std::string, std::string>> protected_entries(const LmdbStore& db) {
  std::map<std::string, std::string> out;
  for (const auto prefix : kProtectedPrefixes) {
    auto part = RATCHET_TRY(db.scan(prefix));
    out.merge(part);
  }
  return out;
}

Result<std::vector<std::string>> keys_with_prefix(const LmdbStore& db, std::string_view prefix) {
  const auto entries = RATCHET_TRY(db.scan(prefix));
  std::vector<std::string> keys;
  keys.reserve(entries.size());
  for (const auto& [key, value] : entries)
    keys.push_back(key);
  return keys;
}

// open() and commit() run one at a time across processes: a `ratchet status` during an update
// must not take the update's in-flight commit for a crashed one and discard it. Held for the call
// only; commits take milliseconds, so waiting is bounded.
Result<UniqueFd> lock_state(const std::filesystem::path& dir) {
  const auto path = dir / "state.lock";
  auto fd = RATCHET_TRY(open_file(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  constexpr auto kPoll = std::chrono::milliseconds(10);
  constexpr int kTries = 3000;  // 30 s
  for (int i = 0;; ++i) {
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) return fd;
    if (errno != EWOULDBLOCK && errno != EINTR) return fail(errno_error(errno, path.string()));
    if (i >= kTries)
      return fail(Code::Busy, "{}: another ratchet process has held the rollback state for 30 s",
                  path.string());
    std::this_thread::sleep_for(kPoll);
  }
}

}  // namespace

Result<AnchoredStore> AnchoredStore::open(LmdbStore& db, Anchor anchor) {
  const auto lock = RATCHET_TRY(lock_state(db.dir()));
  AnchoredStore s(db, anchor);
  const auto dir = db.dir().string();
  const auto current = RATCHET_TRY(db.get(kStateCurrent));
  const auto pending = RATCHET_TRY(db.get(kStatePending));
  auto counter = anchor.counters->read(Counter::Epoch);
  if (!counter) {
    if (counter.error().code() != Code::NotProvisioned) return fail(std::move(counter).error());
    if (current || pending)
      return fail(Code::StateMissing,
                  "{} holds rollback state but the epoch counter is gone ({}): the TPM was "
                  "cleared or replaced; re-provision the device with a provisioning record",
                  dir, counter.error().message());
    return fail(Code::NotProvisioned,
                "the device is not provisioned: no epoch counter ({}) and no state in {}; run "
                "`ratchet provision`",
                anchor.counters->describe(), dir);
  }
  const std::uint64_t epoch = *counter;

  std::optional<Error> problem;
  if (current) {
    auto record = unseal(*current, *anchor.key, fmt::format("rollback state in {}", dir));
    if (record && record->epoch == epoch) {
      // A pending record beside it is a commit that never reached its commit point. It stays
      // where it is (nothing is written here): the next commit seals past its epoch.
      s.record_ = std::move(*record);
      s.sealed_ = *current;
      RATCHET_TRY(s.check_entries(s.record_));
      RATCHET_TRY(s.settle_generation());
      return s;
    }
    if (!record)
      problem = std::move(record).error();
    else if (record->epoch < epoch)
      problem = Error(Code::StateRollback,
                      fmt::format("rollback state in {} is from epoch {} but the epoch counter "
                                  "is at {}: an older copy of the store was restored",
                                  dir, record->epoch, epoch));
    else
      problem = Error(Code::StateForged,
                      fmt::format("rollback state in {} claims epoch {}, ahead of the epoch "
                                  "counter's {}",
                                  dir, record->epoch, epoch));
  }
  if (pending) {
    // A crash after the commit point: the pending state is the committed one. A crash between
    // the increments of a commit that skips epochs: finish them, it is committed too.
    auto record = unseal(*pending, *anchor.key, fmt::format("pending rollback state in {}", dir));
    if (record && record->epoch - record->skip <= epoch && epoch <= record->epoch) {
      RATCHET_TRY(s.increment_to(epoch, record->epoch, nullptr));
      RATCHET_TRY(s.promote(*record, *pending));
      s.record_ = std::move(*record);
      s.sealed_ = *pending;
      RATCHET_TRY(s.check_entries(s.record_));
      RATCHET_TRY(s.settle_generation());
      return s;
    }
  }
  if (problem) return fail(std::move(*problem));
  return fail(Code::StateMissing,
              "{} has no rollback state but the epoch counter ({}) is at {}: the store was "
              "deleted or replaced; re-provision the device with a provisioning record",
              dir, anchor.counters->describe(), epoch);
}

Result<AnchoredStore> AnchoredStore::replace_all(LmdbStore& db, Anchor anchor) {
  AnchoredStore s(db, anchor);
  RATCHET_TRY(anchor.counters->read(Counter::Epoch));
  s.replacing_ = true;
  return s;
}

Status AnchoredStore::check_entries(const StateRecord& record) const {
  const auto entries = RATCHET_TRY(protected_entries(*db_));
  for (const auto& [key, value] : entries) {
    const auto it = record.digests.find(key);
    if (it == record.digests.end())
      return fail(Code::StateForged, "store entry {} in {} is not part of the rollback state", key,
                  db_->dir().string());
    if (digest_hex(value) != it->second)
      return fail(Code::StateForged,
                  "store entry {} in {} does not match the rollback state (edited or restored)",
                  key, db_->dir().string());
  }
  for (const auto& [key, digest] : record.digests)
    if (!entries.contains(key))
      return fail(Code::StateForged, "store entry {} is missing from {}", key, db_->dir().string());
  return {};
}

// The provisioning generation counter must equal the state's; one behind means a re-provisioning
// passed its commit point and crashed before step 3, so finish it.
Status AnchoredStore::settle_generation() {
  const std::uint64_t counter = RATCHET_TRY_CTX(
      anchor_.counters->read(Counter::ProvisioningGeneration), "provisioning generation counter");
  if (record_.generation == counter) return {};
  if (counter != UINT64_MAX && record_.generation == counter + 1) {
    const std::uint64_t now =
        RATCHET_TRY(anchor_.counters->increment(Counter::ProvisioningGeneration));
    if (now == record_.generation) return {};
    return fail(Code::StateRollback, "provisioning generation counter moved from {} to {}", counter,
                now);
  }
  if (record_.generation < counter)
    return fail(Code::StateRollback,
                "the rollback state belongs to provisioning generation {} but the device is at "
                "{}: re-provision with a record for generation {}",
                record_.generation, counter, counter);
  return fail(Code::StateForged,
              "the rollback state claims provisioning generation {}, ahead of the counter's {}",
              record_.generation, counter);
}

Status AnchoredStore::promote(const StateRecord& pending, std::string_view sealed) {
  const auto staged = RATCHET_TRY(db_->scan(kPendingPrefix));
  const auto entries = RATCHET_TRY(protected_entries(*db_));
  std::map<std::string, std::string> puts;
  std::vector<std::string> erases;
  erases.reserve(staged.size() + entries.size() + 1);
  for (const auto& [key, value] : staged) {
    erases.push_back(key);
    const auto target = key.substr(kPendingPrefix.size());
    if (pending.digests.contains(target)) puts[target] = value;
  }
  for (const auto& [key, value] : entries)
    if (!pending.digests.contains(key)) erases.push_back(key);
  erases.emplace_back(kStatePending);
  puts[std::string(kStateCurrent)] = std::string(sealed);
  return db_->commit(puts, erases);
}

// The highest epoch a pending record in the store was sealed for, if it is ahead of the counter:
// a commit that wrote it and never incremented (power cut, TPM error). The counter must never
// stop at that epoch again, or a copy of the store holding that record would load as valid. A
// record that does not verify with this device's key can never load, so it reserves nothing.
Result<std::uint64_t> AnchoredStore::abandoned_epoch(std::uint64_t counter) const {
  const auto pending = RATCHET_TRY(db_->get(kStatePending));
  if (!pending) return counter;
  auto record = unseal(*pending, *anchor_.key, "pending rollback state");
  if (!record || record->epoch <= counter) return counter;
  return record->epoch;
}

// Increments the epoch counter from `from` to `to`, checking each step.
Status AnchoredStore::increment_to(std::uint64_t from, std::uint64_t to,
                                   const std::function<void(CommitStep)>* step) {
  for (std::uint64_t want = from + 1; want <= to; ++want) {
    const std::uint64_t now = RATCHET_TRY(anchor_.counters->increment(Counter::Epoch));
    if (now != want)
      return fail(Code::StateRollback,
                  "the epoch counter went from {} to {}, not {}: something else incremented it",
                  want - 1, now, want);
    if (step != nullptr && *step)
      (*step)(want == to ? CommitStep::EpochIncremented : CommitStep::EpochSkipped);
  }
  return {};
}

Status AnchoredStore::commit(const Change& change) {
  for (const auto& [key, value] : change.puts)
    if (!is_protected_key(key)) return fail(Code::Internal, "{} is not a protected store key", key);
  for (const auto& key : change.erases)
    if (!is_protected_key(key)) return fail(Code::Internal, "{} is not a protected store key", key);

  for (const auto& [key, value] : change.riders)
    if (!is_protected_key(key)) return fail(Code::Internal, "{} is not a protected store key", key);

  StateRecord next = replacing_ ? StateRecord{} : record_;
  for (const auto& key : change.erases)
    next.digests.erase(key);
  for (const auto& [key, value] : change.puts)
    next.digests[key] = digest_hex(value);

  const auto lock = RATCHET_TRY(lock_state(db_->dir()));
  // Another process may have committed since this one loaded the state: its changes are not in
  // `next`, so committing would undo them. Refuse; the caller runs again on the new state.
  if (!replacing_ && RATCHET_TRY(db_->get(kStateCurrent)) != std::optional(sealed_))
    return fail(Code::Busy,
                "the rollback state in {} changed since this process loaded it (another ratchet "
                "run committed); run again",
                db_->dir().string());
  // Nothing protected changes: no pending write, no increment (an NV write costs endurance).
  if (!replacing_ && !change.new_generation && next.digests == record_.digests) return {};
  std::map<std::string, std::string> puts = change.puts;
  for (const auto& [key, value] : change.riders)
    if (puts.emplace(key, value).second) next.digests[key] = digest_hex(value);

  const std::uint64_t epoch = RATCHET_TRY(anchor_.counters->read(Counter::Epoch));
  if (!replacing_ && epoch != record_.epoch)
    return fail(Code::StateRollback, "the epoch counter moved from {} to {} since the state loaded",
                record_.epoch, epoch);
  if (replacing_)
    next.generation = RATCHET_TRY_CTX(anchor_.counters->read(Counter::ProvisioningGeneration),
                                      "provisioning generation counter");
  if (change.new_generation) ++next.generation;
  // Sealed epochs are unique: never one an abandoned pending record was already sealed for.
  next.epoch = RATCHET_TRY(abandoned_epoch(epoch)) + 1;
  next.skip = next.epoch - epoch - 1;
  const std::string sealed = RATCHET_TRY(seal(next, *anchor_.key));

  // 1. Pending: the new entries beside the old ones, and the record that names them (replacing
  // an abandoned one, whose epoch this record skips).
  {
    auto stale = RATCHET_TRY(keys_with_prefix(*db_, kPendingPrefix));
    std::map<std::string, std::string> pending;
    for (const auto& [key, value] : puts)
      pending[pending_key(key)] = value;
    pending[std::string(kStatePending)] = sealed;
    RATCHET_TRY(db_->commit(pending, stale));
  }
  if (on_step) on_step(CommitStep::PendingWritten);

  // 2. The commit point: the counter reaches next.epoch (through the skipped epochs, if any).
  RATCHET_TRY(increment_to(epoch, next.epoch, &on_step));

  // 3. A new provisioning lineage also moves its counter, so its record cannot be replayed.
  const StateRecord previous = std::exchange(record_, next);
  if (auto settled = settle_generation(); !settled) {
    record_ = previous;
    return settled;
  }
  if (on_step) on_step(CommitStep::GenerationIncremented);

  // 4. Promote.
  replacing_ = false;
  RATCHET_TRY(promote(next, sealed));
  sealed_ = sealed;
  return {};
}

}  // namespace ratchet::store
