// The anchored rollback state against both anchors (swtpm and file counters): every way of
// tampering with the store is detected with its own error, and a crash at any step of a commit
// recovers to exactly one consistent state.
#include "agent/store/anchored_store.hpp"

#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/anchor_backend.hpp"
#include "tests/support/data.hpp"

namespace ratchet::store {
namespace {

using test::AnchorKind;
using tpm::Counter;

// The device's counters, except that epoch increments fail (a TPM error, or the power cut
// between writing the pending state and NV_Increment) while `failing` is set.
class FailingEpochIncrement final : public tpm::CounterStore {
 public:
  explicit FailingEpochIncrement(tpm::CounterStore& real) : real_(real) {}
  Result<bool> define(Counter c) override { return real_.define(c); }
  Result<std::uint64_t> read(Counter c) override { return real_.read(c); }
  Result<std::uint64_t> increment(Counter c) override {
    if (c == Counter::Epoch && failing) return fail(Code::Tpm, "NV_Increment: injected failure");
    return real_.increment(c);
  }
  [[nodiscard]] bool hardware_anchored() const noexcept override {
    return real_.hardware_anchored();
  }
  [[nodiscard]] std::string describe() const override { return real_.describe(); }
  bool failing = true;

 private:
  tpm::CounterStore& real_;
};

class AnchoredStoreTest : public ::testing::TestWithParam<AnchorKind> {
 protected:
  test::TempDir dir;
  std::unique_ptr<test::AnchorBackend> backend;
  std::optional<provisioning::DeviceAnchor> anchor;

  void SetUp() override {
    if (!test::AnchorBackend::available(GetParam())) GTEST_SKIP() << "swtpm is not installed";
    backend = std::make_unique<test::AnchorBackend>(GetParam(), dir / "anchor");
    anchor = backend->open();
    for (const Counter c :
         {Counter::Epoch, Counter::ProvisioningGeneration, Counter::SecurityVersion})
      ASSERT_TRUE(anchor->counters->define(c));
    ASSERT_TRUE(anchor->state_key->create());
    // The first state, as provisioning writes it.
    auto db = open_db();
    auto s = AnchoredStore::replace_all(db, anchor->anchor()).value();
    ASSERT_TRUE(s.commit(
        {.puts = {{"device/id", "dev-1"}, {"trusted/director/root", "root v1"}}, .erases = {}}));
  }

  LmdbStore open_db() { return LmdbStore::open(dir / "state").value(); }

  Result<AnchoredStore> open(LmdbStore& db) { return AnchoredStore::open(db, anchor->anchor()); }

  // Commits `value` as the Director's targets (a version floor of the state).
  void commit_targets(const std::string& value) {
    auto db = open_db();
    auto s = open(db);
    ASSERT_TRUE(s) << s.error().message();
    ASSERT_TRUE(s->commit({.puts = {{"trusted/director/targets", value}}, .erases = {}}));
  }

  std::optional<std::string> targets() {
    auto db = open_db();
    EXPECT_TRUE(open(db));
    return db.get("trusted/director/targets").value();
  }

  void expect_open_fails(Code code, const std::string& words) {
    auto db = open_db();
    auto s = open(db);
    ASSERT_FALSE(s) << "the state was accepted";
    EXPECT_EQ(s.error().code(), code) << s.error().message();
    EXPECT_NE(s.error().message().find(words), std::string::npos) << s.error().message();
  }

  void copy_store(const std::string& to) {
    std::filesystem::remove_all(dir / to);
    std::filesystem::copy(dir / "state", dir / to);
  }
  void restore_store(const std::string& from) {
    std::filesystem::remove_all(dir / "state");
    std::filesystem::copy(dir / from, dir / "state");
  }
};

TEST_P(AnchoredStoreTest, OneIncrementPerCommitHoweverFarVersionsJump) {
  const std::uint64_t before = anchor->counters->read(Counter::Epoch).value();
  commit_targets("targets v5");
  commit_targets("targets v5000");
  EXPECT_EQ(anchor->counters->read(Counter::Epoch).value(), before + 2);
  EXPECT_EQ(targets(), "targets v5000");
  auto db = open_db();
  EXPECT_EQ(open(db)->epoch(), before + 2);
}

// What an update run that verified nothing new commits: the same bytes, an erase of nothing.
TEST_P(AnchoredStoreTest, AChangeOfNothingWritesNothing) {
  commit_targets("targets v2");
  const std::uint64_t before = anchor->counters->read(Counter::Epoch).value();
  const auto sealed = open_db().get(kStateCurrent).value();
  for (int run = 0; run < 3; ++run) {
    auto db = open_db();
    auto s = open(db).value();
    ASSERT_TRUE(s.commit(
        {.puts = {{"trusted/director/targets", "targets v2"}, {"trusted/director/root", "root v1"}},
         .erases = {"trusted/image/timestamp"}}));
    EXPECT_EQ(s.epoch(), before);
  }
  EXPECT_EQ(anchor->counters->read(Counter::Epoch).value(), before);
  auto db = open_db();
  EXPECT_EQ(db.get(kStateCurrent).value(), sealed);  // byte-identical: nothing was written
  EXPECT_FALSE(db.get(kStatePending).value().has_value());
  // One changed value is a commit, with one increment.
  auto s = open(db).value();
  ASSERT_TRUE(s.commit(
      {.puts = {{"trusted/director/targets", "targets v3"}, {"trusted/director/root", "root v1"}},
       .erases = {}}));
  EXPECT_EQ(anchor->counters->read(Counter::Epoch).value(), before + 1);
}

// The time floor between its steps: carried by a commit that happens anyway, never one alone.
TEST_P(AnchoredStoreTest, RidersAloneCommitNothingAndGoAlongWithAChange) {
  const std::uint64_t before = anchor->counters->read(Counter::Epoch).value();
  {
    auto db = open_db();
    auto s = open(db).value();
    ASSERT_TRUE(s.commit({.puts = {{"trusted/director/root", "root v1"}},
                          .erases = {},
                          .riders = {{"time/floor", "100"}}}));
    EXPECT_EQ(anchor->counters->read(Counter::Epoch).value(), before);
    EXPECT_FALSE(db.get("time/floor").value().has_value());
    ASSERT_TRUE(s.commit({.puts = {{"trusted/director/targets", "targets v2"}},
                          .erases = {},
                          .riders = {{"time/floor", "200"}}}));
  }
  EXPECT_EQ(anchor->counters->read(Counter::Epoch).value(), before + 1);
  auto db = open_db();
  ASSERT_TRUE(open(db));  // the rider is part of the sealed state
  EXPECT_EQ(db.get("time/floor").value(), "200");
}

// A commit wrote its pending state (sealed for epoch E+1) but the increment failed; a copy of
// the store taken then must never load once a later commit has passed that epoch.
TEST_P(AnchoredStoreTest, AnAbandonedPendingCommitIsNeverPromotedLater) {
  commit_targets("targets v2");
  const std::uint64_t epoch = anchor->counters->read(Counter::Epoch).value();
  {
    FailingEpochIncrement counters(*anchor->counters);
    auto db = open_db();
    auto s = AnchoredStore::open(db, {.counters = &counters, .key = anchor->state_key.get()});
    ASSERT_TRUE(s);
    auto r = s->commit({.puts = {{"trusted/director/targets", "targets v3"}}, .erases = {}});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), Code::Tpm);
  }
  EXPECT_EQ(targets(), "targets v2");  // the failed commit changed nothing
  copy_store("abandoned");
  commit_targets("targets v4");
  EXPECT_EQ(targets(), "targets v4");
  EXPECT_EQ(anchor->counters->read(Counter::Epoch).value(), epoch + 2);  // through E+1 to E+2
  restore_store("abandoned");
  expect_open_fails(Code::StateRollback, "older copy");
  EXPECT_EQ(anchor->counters->read(Counter::Epoch).value(), epoch + 2);
}

TEST_P(AnchoredStoreTest, SurvivesAPowerCycle) {
  commit_targets("targets v2");
  if (backend->swtpm() != nullptr) {
    backend->swtpm()->restart();
    anchor = backend->open();
  }
  EXPECT_EQ(targets(), "targets v2");
}

TEST_P(AnchoredStoreTest, DeletedStoreIsStateMissingNotAFreshStart) {
  commit_targets("targets v2");
  std::filesystem::remove_all(dir / "state");
  expect_open_fails(Code::StateMissing, "deleted or replaced");
}

TEST_P(AnchoredStoreTest, RestoredOlderCopyIsStateRollback) {
  commit_targets("targets v2");
  copy_store("snapshot");
  commit_targets("targets v3");
  restore_store("snapshot");
  expect_open_fails(Code::StateRollback, "older copy");
}

TEST_P(AnchoredStoreTest, EditedFloorIsStateForged) {
  commit_targets("targets v7");
  {
    auto db = open_db();
    ASSERT_TRUE(db.commit({{"trusted/director/targets", "targets v1"}}));
  }
  expect_open_fails(Code::StateForged, "trusted/director/targets");
}

TEST_P(AnchoredStoreTest, AddedOrRemovedEntryIsStateForged) {
  {
    auto db = open_db();
    ASSERT_TRUE(db.commit({{"trusted/image/root", "someone else's root"}}));
  }
  expect_open_fails(Code::StateForged, "trusted/image/root");
  {
    auto db = open_db();
    ASSERT_TRUE(db.commit({}, {"trusted/image/root", "trusted/director/root"}));
  }
  expect_open_fails(Code::StateForged, "trusted/director/root");
}

TEST_P(AnchoredStoreTest, EditedRecordIsStateForged) {
  auto db = open_db();
  auto sealed = db.get(kStateCurrent).value().value();
  // Claim a newer epoch in the record without the key: the MAC no longer verifies.
  const auto at = sealed.find("\"epoch\":");
  ASSERT_NE(at, std::string::npos);
  sealed.insert(at + 8, "9");
  ASSERT_TRUE(db.commit({{std::string(kStateCurrent), sealed}}));
  expect_open_fails(Code::StateForged, "MAC");
}

TEST_P(AnchoredStoreTest, StoreOnAnotherAnchorIsRefused) {
  commit_targets("targets v2");
  // A freshly enrolled TPM (or anchor directory) with the old store copied over.
  test::AnchorBackend other(GetParam(), dir / "other-anchor");
  anchor = other.open();
  for (const Counter c : {Counter::Epoch, Counter::ProvisioningGeneration})
    ASSERT_TRUE(anchor->counters->define(c));
  ASSERT_TRUE(anchor->state_key->create());
  auto db = open_db();
  auto s = open(db);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), Code::StateForged) << s.error().message();
}

TEST_P(AnchoredStoreTest, ClearedTpmWithStateIsStateMissing) {
  // A store whose counters are gone (TPM2_Clear, a replaced TPM, deleted counter files).
  test::AnchorBackend other(GetParam(), dir / "empty-anchor");
  anchor = other.open();
  expect_open_fails(Code::StateMissing, "epoch counter is gone");
}

TEST_P(AnchoredStoreTest, NothingAtAllIsNotProvisioned) {
  test::AnchorBackend other(GetParam(), dir / "empty-anchor");
  anchor = other.open();
  std::filesystem::remove_all(dir / "state");
  expect_open_fails(Code::NotProvisioned, "ratchet provision");
}

TEST_P(AnchoredStoreTest, CounterMovedByAnotherProcessIsStateRollback) {
  auto db = open_db();
  auto s = open(db).value();
  ASSERT_TRUE(anchor->counters->increment(Counter::Epoch));
  auto r = s.commit({.puts = {{"trusted/director/targets", "v2"}}, .erases = {}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::StateRollback);
  expect_open_fails(Code::StateRollback, "older copy");
}

// Two holders of the state in one process (or two processes): the one that loaded it before the
// other committed must not commit over it.
TEST_P(AnchoredStoreTest, ACommitOnStaleStateIsBusyAndUndoesNothing) {
  auto db = open_db();
  auto first = open(db).value();
  auto second = open(db).value();
  ASSERT_TRUE(second.commit({.puts = {{"trusted/director/targets", "targets v8"}}, .erases = {}}));
  auto r = first.commit({.puts = {{"trusted/director/targets", "targets v2"}}, .erases = {}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::Busy) << r.error().message();
  EXPECT_EQ(targets(), "targets v8");
}

// `ratchet status` during an update: a process opening the state while a commit is in flight
// waits for it, instead of taking the pending commit for a crashed one and discarding it.
TEST_P(AnchoredStoreTest, AnotherProcessOpeningDuringACommitWaitsForIt) {
  if (GetParam() != AnchorKind::File) GTEST_SKIP() << "swtpm serves one connection at a time";
  pid_t child = -1;
  {
    auto db = open_db();
    auto s = open(db).value();
    s.on_step = [&](CommitStep step) {
      if (step != CommitStep::PendingWritten) return;
      child = ::fork();
      if (child == 0) {
        // As a separately started process would: none of the parent's descriptors (the held
        // state lock among them).
        ::close_range(3, ~0U, 0);
        auto child_anchor = backend->open();
        auto child_db = LmdbStore::open(dir / "state");
        if (!child_db) ::_exit(3);
        ::_exit(AnchoredStore::open(*child_db, child_anchor.anchor()) ? 0 : 4);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the child tries meanwhile
    };
    ASSERT_TRUE(s.commit({.puts = {{"trusted/director/targets", "targets v7"}}, .erases = {}}));
  }
  ASSERT_GT(child, 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(targets(), "targets v7");
}

TEST_P(AnchoredStoreTest, GenerationCounterAheadOfTheStateIsStateRollback) {
  ASSERT_TRUE(anchor->counters->increment(Counter::ProvisioningGeneration));
  ASSERT_TRUE(anchor->counters->increment(Counter::ProvisioningGeneration));
  expect_open_fails(Code::StateRollback, "provisioning generation");
}

TEST_P(AnchoredStoreTest, OnlyProtectedKeysAreCommitted) {
  auto db = open_db();
  auto s = open(db).value();
  auto r = s.commit({.puts = {{"scratch/x", "y"}}, .erases = {}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::Internal);
}

// A real crash: a child process commits and _exits right after `step`, with no destructor, no
// LMDB close and no TPM shutdown.
struct CrashCase {
  CommitStep step;
  bool new_generation;
  bool committed;  // what the next open must find
};

class AnchoredStoreCrash : public AnchoredStoreTest {
 protected:
  void crash_during_commit(const CrashCase& c) {
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    ASSERT_NE(pid, -1);
    if (pid == 0) {
      auto child_anchor = backend->open();
      auto db = LmdbStore::open(dir / "state").value();
      auto s = AnchoredStore::open(db, child_anchor.anchor()).value();
      s.on_step = [&](CommitStep step) {
        if (step == c.step) ::_exit(0);
      };
      (void)s.commit({.puts = {{"trusted/director/targets", "new"}},
                      .erases = {"trusted/director/root"},
                      .new_generation = c.new_generation});
      ::_exit(3);  // the step never came
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
  }
};

TEST_P(AnchoredStoreCrash, EveryStepRecoversToExactlyOneState) {
  const CrashCase cases[] = {
      {CommitStep::PendingWritten, false, false},
      {CommitStep::EpochIncremented, false, true},
      {CommitStep::PendingWritten, true, false},
      {CommitStep::EpochIncremented, true, true},  // generation counter not yet moved
      {CommitStep::GenerationIncremented, true, true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(::testing::Message()
                 << "step " << static_cast<int>(c.step) << " new generation " << c.new_generation);
    const std::string old = "old " + std::to_string(&c - cases);
    commit_targets(old);  // a real change: it also settles what the case before left pending
    auto db_before = open_db();
    const auto before = open(db_before).value();
    const std::uint64_t generation = before.generation();
    std::uint64_t start_epoch = before.epoch();
    {
      // Put the root back so each case starts alike (a no-op when it is there).
      auto s = open(db_before).value();
      ASSERT_TRUE(s.commit({.puts = {{"trusted/director/root", "root v1"}}, .erases = {}}));
      start_epoch = s.epoch();
    }
    db_before = LmdbStore();  // close before fork
    crash_during_commit(c);

    for (int reopen = 0; reopen < 2; ++reopen) {  // recovery is itself idempotent
      auto db = open_db();
      auto s = open(db);
      ASSERT_TRUE(s) << s.error().message();
      EXPECT_EQ(s->epoch(), c.committed ? start_epoch + 1 : start_epoch);
      const std::uint64_t want_generation =
          c.committed && c.new_generation ? generation + 1 : generation;
      EXPECT_EQ(s->generation(), want_generation);
      EXPECT_EQ(anchor->counters->read(Counter::ProvisioningGeneration).value(), want_generation);
      EXPECT_EQ(db.get("trusted/director/targets").value(), c.committed ? "new" : old);
      EXPECT_EQ(db.get("trusted/director/root").value().has_value(), !c.committed);
      // An abandoned pending record stays until the next commit seals past it.
      EXPECT_EQ(db.get(kStatePending).value().has_value(), !c.committed);
      EXPECT_EQ(db.scan(kPendingPrefix).value().empty(), c.committed);
    }
  }
}

// The commit after an abandoned one passes the abandoned record's epoch: a crash at any of its
// steps recovers to exactly one state, and a copy holding the abandoned record never loads after.
TEST_P(AnchoredStoreCrash, ACommitSkippingAnAbandonedEpochRecoversAtEveryStep) {
  const CrashCase cases[] = {
      {CommitStep::PendingWritten, false, false},
      {CommitStep::EpochSkipped, false, true},
      {CommitStep::EpochIncremented, false, true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(::testing::Message() << "step " << static_cast<int>(c.step));
    const std::string old = "old " + std::to_string(&c - cases);
    commit_targets(old);
    std::uint64_t epoch = 0;
    {
      auto db = open_db();
      auto s = open(db).value();
      ASSERT_TRUE(s.commit({.puts = {{"trusted/director/root", "root v1"}}, .erases = {}}));
      epoch = s.epoch();
    }
    // The abandoned commit, and a copy of the store holding it.
    crash_during_commit({CommitStep::PendingWritten, false, false});
    copy_store("abandoned");
    crash_during_commit(c);  // the next commit, sealed for epoch + 2

    for (int reopen = 0; reopen < 2; ++reopen) {
      auto db = open_db();
      auto s = open(db);
      ASSERT_TRUE(s) << s.error().message();
      EXPECT_EQ(s->epoch(), c.committed ? epoch + 2 : epoch);
      EXPECT_EQ(anchor->counters->read(Counter::Epoch).value(), c.committed ? epoch + 2 : epoch);
      EXPECT_EQ(db.get("trusted/director/targets").value(), c.committed ? "new" : old);
      EXPECT_EQ(db.get("trusted/director/root").value().has_value(), !c.committed);
    }
    if (!c.committed) commit_targets("after " + old);  // seals past both abandoned records
    copy_store("good");
    restore_store("abandoned");
    expect_open_fails(Code::StateRollback, "older copy");
    restore_store("good");  // the next case carries on from the real state
  }
}

INSTANTIATE_TEST_SUITE_P(Anchors, AnchoredStoreTest,
                         ::testing::Values(AnchorKind::File, AnchorKind::Tpm),
                         test::anchor_kind_name);
INSTANTIATE_TEST_SUITE_P(Anchors, AnchoredStoreCrash,
                         ::testing::Values(AnchorKind::File, AnchorKind::Tpm),
                         test::anchor_kind_name);

}  // namespace
}  // namespace ratchet::store
