// Google Benchmark for each streaming stage and the whole pipeline (raw, zstd, delta), with the
// baselines (sha256, zstd decode, raw write) on the same buffers. bytes_per_second is per byte of
// image. The whole-pipeline cases write a file under $TMPDIR.
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>
#include <unistd.h>
#include <zstd.h>

#include "streaming/chunk_gate.hpp"
#include "streaming/digest_check.hpp"
#include "streaming/discard_sink.hpp"
#include "streaming/file_source.hpp"
#include "streaming/install.hpp"
#include "streaming/mapped_file.hpp"
#include "streaming/slot_writer.hpp"
#include "streaming/threaded_stage.hpp"
#include "streaming/zstd_decoder.hpp"
#include "streaming/zstd_encoder.hpp"

namespace {

namespace fs = std::filesystem;
using namespace ratchet;
using namespace ratchet::streaming;

constexpr std::size_t kImage = 64u << 20;

// Image-like data: zero runs, repeated blocks, random blocks; `edit` changes ~3% of blocks.
std::vector<std::byte> make_image(std::uint64_t seed, bool edit) {
  std::mt19937_64 rng(42);
  std::mt19937_64 edits(seed);
  std::vector<std::byte> out(kImage);
  std::vector<std::byte> repeated(4096);
  for (auto& b : repeated)
    b = static_cast<std::byte>(rng());
  for (std::size_t off = 0; off < out.size(); off += 4096) {
    const auto kind = rng() % 8;
    if (kind >= 2 && kind < 4) std::memcpy(out.data() + off, repeated.data(), 4096);
    if (kind >= 4)
      for (std::size_t i = 0; i < 4096; i += 8) {
        const auto v = rng();
        std::memcpy(out.data() + off + i, &v, 8);
      }
    if (edit && edits() % 100 < 3) out[off + edits() % 4096] ^= std::byte{0x5a};
  }
  return out;
}

// Files shared by the cases, made once.
struct Fixture {
  fs::path dir = fs::temp_directory_path() / fmt::format("ratchet-bench-{}", ::getpid());
  std::vector<std::byte> old_image = make_image(1, false);
  std::vector<std::byte> new_image = make_image(2, true);
  ChunkList chunks;
  ExpectedDigests digests;
  std::vector<std::byte> zst;
  Fixture() {
    fs::create_directories(dir);
    write(dir / "old", old_image);
    write(dir / "new", new_image);
    chunks = ChunkList::of_bytes(new_image, 1u << 20).value();
    digests.sha256 = digest_of(HashAlgorithm::Sha256, new_image);
    ZstdEncodeOptions eo;
    eo.frame_size = 16u << 20;
    (void)zstd_encode_file(dir / "new", dir / "new.zst", eo);
    auto ref = MappedFile::open(dir / "old").value();
    eo.reference = ref.bytes();
    (void)zstd_encode_file(dir / "new", dir / "new.delta", eo);
    zst = read(dir / "new.zst");
  }
  ~Fixture() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  static void write(const fs::path& p, std::span<const std::byte> d) {
    std::ofstream(p, std::ios::binary)
        .write(reinterpret_cast<const char*>(d.data()), static_cast<std::streamsize>(d.size()));
  }
  static std::vector<std::byte> read(const fs::path& p) {
    std::vector<std::byte> d(fs::file_size(p));
    std::ifstream(p, std::ios::binary)
        .read(reinterpret_cast<char*>(d.data()), static_cast<std::streamsize>(d.size()));
    return d;
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void feed(Sink& sink, std::span<const std::byte> data, benchmark::State& state) {
  for (std::size_t off = 0; off < data.size(); off += 1u << 20)
    if (!sink.write(data.subspan(off, std::min<std::size_t>(1u << 20, data.size() - off))))
      state.SkipWithError("write failed");
  if (!sink.finish()) state.SkipWithError("finish failed");
}

void BM_LimitSha256(benchmark::State& state) {
  auto& f = fixture();
  for (auto _ : state)
    benchmark::DoNotOptimize(digest_of(HashAlgorithm::Sha256, f.new_image));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kImage));
}
BENCHMARK(BM_LimitSha256)->Unit(benchmark::kMillisecond);

void BM_LimitZstdDecode(benchmark::State& state) {
  auto& f = fixture();
  std::vector<std::byte> out(16u << 20);
  for (auto _ : state) {
    // Single-shot decode of each frame into a buffer: libzstd's own speed, no pipeline.
    std::size_t in = 0;
    while (in < f.zst.size()) {
      const std::size_t frame = ZSTD_findFrameCompressedSize(f.zst.data() + in, f.zst.size() - in);
      benchmark::DoNotOptimize(ZSTD_decompress(out.data(), out.size(), f.zst.data() + in, frame));
      in += frame;
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kImage));
}
BENCHMARK(BM_LimitZstdDecode)->Unit(benchmark::kMillisecond);

void BM_LimitRawWrite(benchmark::State& state) {
  auto& f = fixture();
  for (auto _ : state) {
    auto w = SlotWriter::open(f.dir / "slot", kImage, {.create = true}).value();
    feed(*w, f.new_image, state);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kImage));
}
BENCHMARK(BM_LimitRawWrite)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_StageDigestCheck(benchmark::State& state) {
  auto& f = fixture();
  for (auto _ : state) {
    DiscardSink d;
    DigestCheck c(d, "image", kImage, f.digests);
    feed(c, f.new_image, state);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kImage));
}
BENCHMARK(BM_StageDigestCheck)->Unit(benchmark::kMillisecond);

void BM_StageChunkGate(benchmark::State& state) {
  auto& f = fixture();
  for (auto _ : state) {
    DiscardSink d;
    ChunkGate g(d, f.chunks, "image");
    feed(g, f.new_image, state);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kImage));
}
BENCHMARK(BM_StageChunkGate)->Unit(benchmark::kMillisecond);

void BM_StageZstdDecoder(benchmark::State& state) {
  auto& f = fixture();
  for (auto _ : state) {
    DiscardSink d;
    ZstdDecoder z(d, "payload", {});
    feed(z, f.zst, state);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kImage));
}
BENCHMARK(BM_StageZstdDecoder)->Unit(benchmark::kMillisecond);

void BM_StageDeltaDecoder(benchmark::State& state) {
  auto& f = fixture();
  const auto delta = Fixture::read(f.dir / "new.delta");
  auto ref = MappedFile::open(f.dir / "old").value();
  for (auto _ : state) {
    DiscardSink d;
    ZstdDecoderOptions o;
    o.reference = ref.bytes();
    ZstdDecoder z(d, "payload", o);
    feed(z, delta, state);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kImage));
}
BENCHMARK(BM_StageDeltaDecoder)->Unit(benchmark::kMillisecond);

void BM_StageThreadedHandoff(benchmark::State& state) {
  auto& f = fixture();
  for (auto _ : state) {
    DiscardSink d;
    ThreadedStage t(d, 4, 1u << 20, {});
    feed(t, f.new_image, state);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kImage));
}
BENCHMARK(BM_StageThreadedHandoff)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Install(benchmark::State& state) {
  auto& f = fixture();
  const auto format = static_cast<PayloadFormat>(state.range(0));
  const fs::path payload = format == PayloadFormat::Raw    ? f.dir / "new"
                           : format == PayloadFormat::Zstd ? f.dir / "new.zst"
                                                           : f.dir / "new.delta";
  InstallRequest r;
  r.format = format;
  r.payload_length = fs::file_size(payload);
  r.image_length = kImage;
  r.image_digests = f.digests;
  r.chunks = &f.chunks;
  r.target = f.dir / "slot";
  r.writer.create = true;
  if (format == PayloadFormat::Delta) r.reference = f.dir / "old";
  for (auto _ : state) {
    FileSource src(payload);
    if (!install(src, r)) state.SkipWithError("install failed");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kImage));
  state.SetLabel(std::string(format_name(format)));
}
BENCHMARK(BM_Install)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
