// Cost of the anchored rollback state: a commit (two durable LMDB transactions, NV_Read,
// NV_Increment, one HMAC) and a load (NV_Read, HMAC, digest of every protected entry), beside
// the bare operations they are made of. File anchor always; the TPM when RATCHET_BENCH_TCTI names
// one (bench/anchor-bench.sh starts a private swtpm for it).
#include <cstdlib>
#include <filesystem>

#include <benchmark/benchmark.h>
#include <unistd.h>

#include "agent/provisioning/device_anchor.hpp"
#include "agent/store/anchored_store.hpp"

namespace {

using namespace ratchet;

struct Fixture {
  std::filesystem::path dir;
  std::optional<provisioning::DeviceAnchor> anchor;
  std::optional<store::LmdbStore> db;

  explicit Fixture(bool tpm) {
    char tmpl[] = "/tmp/ratchet-anchor-bench-XXXXXX";
    dir = ::mkdtemp(tmpl);
    provisioning::AnchorConfig c;
    if (tpm)
      c.tcti = std::getenv("RATCHET_BENCH_TCTI");
    else
      c.anchor_dir = dir / "anchor";
    anchor = provisioning::open_anchor(c).value();
    for (const auto counter : {tpm::Counter::Epoch, tpm::Counter::ProvisioningGeneration})
      (void)anchor->counters->define(counter).value();
    (void)anchor->state_key->create().value();
    db = store::LmdbStore::open(dir / "state").value();
    // A realistic state: both repositories' top-level roles of a few KiB each, two ECUs.
    store::AnchoredStore::Change change;
    for (const char* repo : {"director", "image"})
      for (const char* role : {"root", "timestamp", "snapshot", "targets"})
        change.puts[fmt::format("trusted/{}/{}", repo, role)] = std::string(4096, role[0]);
    change.puts["ecu/ecu-1/installed"] = "fw";
    change.puts["ecu/ecu-2/installed"] = "fw";
    change.puts["device/id"] = "bench";
    auto s = store::AnchoredStore::replace_all(*db, anchor->anchor()).value();
    (void)s.commit(change).value();
  }
  ~Fixture() {
    db.reset();
    anchor.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  Fixture(const Fixture&) = delete;
  Fixture& operator=(const Fixture&) = delete;
};

bool skip_without_tpm(benchmark::State& state, bool tpm) {
  if (tpm && std::getenv("RATCHET_BENCH_TCTI") == nullptr) {
    state.SkipWithError("set RATCHET_BENCH_TCTI (bench/anchor-bench.sh does)");
    return true;
  }
  return false;
}

void BM_Commit(benchmark::State& state, bool tpm) {
  if (skip_without_tpm(state, tpm)) return;
  Fixture f(tpm);
  auto s = store::AnchoredStore::open(*f.db, f.anchor->anchor()).value();
  std::uint64_t version = 0;
  for (auto _ : state) {
    store::AnchoredStore::Change change;
    change.puts["trusted/director/targets"] = std::string(4096, 't') + std::to_string(++version);
    if (!s.commit(change)) state.SkipWithError("commit failed");
  }
}

void BM_Load(benchmark::State& state, bool tpm) {
  if (skip_without_tpm(state, tpm)) return;
  Fixture f(tpm);
  for (auto _ : state) {
    auto s = store::AnchoredStore::open(*f.db, f.anchor->anchor());
    if (!s) state.SkipWithError("load failed");
    benchmark::DoNotOptimize(s);
  }
}

// The parts: one counter increment, one counter read, one HMAC.
void BM_Increment(benchmark::State& state, bool tpm) {
  if (skip_without_tpm(state, tpm)) return;
  Fixture f(tpm);
  for (auto _ : state)
    if (!f.anchor->counters->increment(tpm::Counter::ProvisioningGeneration))
      state.SkipWithError("increment failed");
}

void BM_Read(benchmark::State& state, bool tpm) {
  if (skip_without_tpm(state, tpm)) return;
  Fixture f(tpm);
  for (auto _ : state)
    benchmark::DoNotOptimize(f.anchor->counters->read(tpm::Counter::Epoch));
}

void BM_Mac(benchmark::State& state, bool tpm) {
  if (skip_without_tpm(state, tpm)) return;
  Fixture f(tpm);
  tpm::Digest d{};
  for (auto _ : state)
    benchmark::DoNotOptimize(f.anchor->state_key->mac(d));
}

// Two durable LMDB transactions of the same size, without any anchor: the floor a commit sits on.
void BM_TwoLmdbCommits(benchmark::State& state) {
  Fixture f(false);
  std::uint64_t version = 0;
  for (auto _ : state) {
    const std::string value = std::string(4096, 't') + std::to_string(++version);
    if (!f.db->commit({{"pending/trusted/director/targets", value}}) ||
        !f.db->commit({{"trusted/director/targets", value}}, {"pending/trusted/director/targets"}))
      state.SkipWithError("commit failed");
  }
}

}  // namespace

BENCHMARK_CAPTURE(BM_Commit, file, false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Commit, tpm, true)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Load, file, false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Load, tpm, true)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TwoLmdbCommits)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Increment, tpm, true)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Read, tpm, true)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Mac, tpm, true)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
