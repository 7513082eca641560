// Parse + verify a targets.json with 10,000 targets, and one delegating to 1,000 roles.
#include <benchmark/benchmark.h>

#include "agent/tuf/metadata.hpp"
#include "repo/tuf_repository.hpp"

namespace {

using namespace ratchet::tuf;

constexpr Seconds kNow = 1893456000;

struct Signed {
  std::string bytes;
  KeyMap keys;
  RoleKeys role;
};

Signed make(int targets, int delegations) {
  auto repo = TufRepository::create(kNow).value();
  for (int i = 0; i < targets; ++i)
    repo.add_target("images/target-" + std::to_string(i) + ".bin",
                    std::string(64, static_cast<char>('a' + i % 26)),
                    Json{{"hardwareIds", Json::array({"board-a"})}, {"releaseCounter", i}});
  for (int i = 0; i < delegations; ++i)
    (void)repo.add_delegation("targets", "role-" + std::to_string(i),
                              {"apps/" + std::to_string(i) + "/*"});
  Signed s;
  s.bytes = repo.sign("targets").value();
  const auto& k = repo.keys("targets").front().public_key();
  s.keys.emplace(k.key_id(), k);
  s.role.keyids = {k.key_id()};
  return s;
}

void run(benchmark::State& state, const Signed& s) {
  for (auto _ : state) {
    auto env = parse_envelope(s.bytes, "targets", 64u << 20);
    if (!env || !verify_role(*env, s.keys, s.role, "targets")) state.SkipWithError("verify failed");
    auto t = parse_targets(*env, "targets");
    if (!t) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(t);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.bytes.size()));
  state.counters["metadata_bytes"] = static_cast<double>(s.bytes.size());
}

void BM_ParseVerifyTargets10k(benchmark::State& state) {
  static const Signed s = make(10000, 0);
  run(state, s);
}
BENCHMARK(BM_ParseVerifyTargets10k)->Unit(benchmark::kMillisecond);

void BM_ParseVerifyDelegations1k(benchmark::State& state) {
  static const Signed s = make(0, 1000);
  run(state, s);
}
BENCHMARK(BM_ParseVerifyDelegations1k)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
