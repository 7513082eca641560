// The physical limits every pipeline figure is compared with, measured on the same buffers.
#include <cstring>
#include <vector>

#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include "common/handles/openssl.hpp"

namespace {

std::vector<unsigned char> make_buffer(std::size_t n) {
  std::vector<unsigned char> v(n);
  std::uint32_t x = 2463534242U;  // xorshift: incompressible, reproducible
  for (auto& b : v) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b = static_cast<unsigned char>(x);
  }
  return v;
}

void BM_Sha256(benchmark::State& state) {
  const auto buf = make_buffer(static_cast<std::size_t>(state.range(0)));
  ratchet::ossl::MdCtx ctx(EVP_MD_CTX_new());
  unsigned char out[EVP_MAX_MD_SIZE];
  for (auto _ : state) {
    EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
    EVP_DigestUpdate(ctx.get(), buf.data(), buf.size());
    EVP_DigestFinal_ex(ctx.get(), out, nullptr);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Sha256)->Arg(1 << 20)->Arg(16 << 20);

void BM_Memcpy(benchmark::State& state) {
  const auto src = make_buffer(static_cast<std::size_t>(state.range(0)));
  std::vector<unsigned char> dst(src.size());
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), src.size());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Memcpy)->Arg(1 << 20)->Arg(16 << 20);

}  // namespace

BENCHMARK_MAIN();
