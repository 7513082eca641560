// `ratchet bench`: the real pipeline on a given or generated image, with the machine's limits
// (SHA-256, zstd decode, raw sequential write) measured in the same run on the same data.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <thread>

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/cli/command.hpp"
#include "agent/cli/progress.hpp"
#include "common/file.hpp"
#include "common/hex.hpp"
#include "common/log.hpp"
#include "streaming/digest_check.hpp"
#include "streaming/discard_sink.hpp"
#include "streaming/file_source.hpp"
#include "streaming/install.hpp"
#include "streaming/mapped_file.hpp"
#include "streaming/slot_writer.hpp"
#include "streaming/zstd_decoder.hpp"
#include "streaming/zstd_encoder.hpp"

extern char** environ;

namespace ratchet::cli {
namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

struct BenchOptions {
  std::string image, reference, dir, target;
  std::uint64_t size_mib = 256;
  std::string formats = "raw,zstd,delta";
  int level = 3;
  std::uint64_t frame_mib = 16;
  std::uint32_t chunk_kib = 1024;
  std::string io = "auto";
  bool json = false;
};

struct Row {
  std::string name;
  double seconds = 0;
  std::uint64_t bytes = 0;
  std::uint64_t peak_rss_kib = 0;
  std::uint64_t peak_anon_kib = 0;
  [[nodiscard]] double mbps() const {
    return seconds > 0 ? static_cast<double>(bytes) / seconds / 1e6 : 0;
  }
};

std::uint64_t status_kib(const std::string& path, std::string_view key) {
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line))
    if (line.starts_with(key)) return std::strtoull(line.c_str() + key.size(), nullptr, 10);
  return 0;
}

template <class F>
Result<Row> measure(std::string name, std::uint64_t bytes, F&& work) {
  const auto start = Clock::now();
  Status s = work();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (!s) return fail(std::move(s).error().context(name));
  return Row{std::move(name), seconds, bytes, 0, 0};
}

// Runs `ratchet write` as its own process, as a device would, so its peak memory is its own:
// the kernel's peak RSS mark (VmHWM, which includes the mapped reference of a delta) and the
// peak anonymous RSS (buffers, decoder state; not mapped files, not the page cache), both
// sampled from /proc every 10 ms while it runs.
Result<Row> measure_process(std::string name, std::uint64_t bytes,
                            const std::vector<std::string>& args) {
  std::vector<std::string> argv_storage = {"/proc/self/exe", "--log-level", "warning", "write"};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  argv.reserve(argv_storage.size() + 1);
  for (auto& a : argv_storage)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  const auto start = Clock::now();
  // posix_spawn, not fork: a forked child would count the parent's resident pages as its own.
  pid_t pid = 0;
  if (const int rc = ::posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ); rc != 0)
    return fail(errno_error(rc, "posix_spawn"));
  const std::string status_path = fmt::format("/proc/{}/status", pid);
  std::uint64_t anon = 0;
  std::uint64_t hwm = 0;
  int status = 0;
  while (true) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) return fail(errno_error(errno, "waitpid"));
    // Before exec the child still shares our memory; its own mm starts at exec.
    std::error_code ec;
    if (std::filesystem::read_symlink(fmt::format("/proc/{}/exe", pid), ec) ==
        std::filesystem::read_symlink("/proc/self/exe", ec)) {
      anon = std::max(anon, status_kib(status_path, "RssAnon:"));
      // VmHWM of the new image (wait4's ru_maxrss would include the parent's, through vfork).
      hwm = std::max(hwm, status_kib(status_path, "VmHWM:"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return fail(Code::Internal, "{}: ratchet write failed (status {})", name, status);
  return Row{std::move(name), seconds, bytes, hwm, anon};
}

// A synthetic root filesystem: zero runs, repeated blocks and random blocks; and a "new"
// version with scattered edits, as a security update would make.
Status generate(const fs::path& old_path, const fs::path& new_path, std::uint64_t size) {
  std::mt19937_64 rng(42);
  std::vector<std::byte> block(4096);
  std::vector<std::byte> repeated(4096);
  for (auto& b : repeated)
    b = static_cast<std::byte>(rng());
  auto old_fd = RATCHET_TRY(open_file(old_path, O_WRONLY | O_CREAT | O_TRUNC));
  auto new_fd = RATCHET_TRY(open_file(new_path, O_WRONLY | O_CREAT | O_TRUNC));
  for (std::uint64_t off = 0; off < size; off += block.size()) {
    const auto kind = rng() % 8;
    if (kind < 2)
      std::fill(block.begin(), block.end(), std::byte{0});
    else if (kind < 4)
      block = repeated;
    else
      for (std::size_t i = 0; i < block.size(); i += 8) {
        const auto v = rng();
        std::memcpy(block.data() + i, &v, 8);
      }
    RATCHET_TRY(write_all(old_fd.get(), block, old_path.string()));
    if (rng() % 100 < 3) block[rng() % block.size()] ^= std::byte{0x5a};  // ~3% of blocks change
    RATCHET_TRY(write_all(new_fd.get(), block, new_path.string()));
  }
  return {};
}

Result<std::vector<Row>> run_bench(const BenchOptions& o) {
  fs::path dir = o.dir;
  if (dir.empty()) dir = fs::temp_directory_path() / "ratchet-bench";
  fs::create_directories(dir);
  fs::path image = o.image;
  fs::path reference = o.reference;
  if (image.empty()) {
    image = dir / "new.img";
    reference = dir / "old.img";
    log::info("generating a {} MiB image pair in {}", o.size_mib, dir.string());
    RATCHET_TRY(generate(reference, image, o.size_mib << 20));
  }
  const fs::path target = o.target.empty() ? dir / "slot" : fs::path(o.target);
  const bool want_raw = o.formats.find("raw") != std::string::npos;
  const bool want_zstd = o.formats.find("zstd") != std::string::npos;
  const bool want_delta = o.formats.find("delta") != std::string::npos && !reference.empty();

  auto mapped = RATCHET_TRY(streaming::MappedFile::open(image));
  const auto bytes = mapped.bytes();
  const std::uint64_t length = bytes.size();
  log::info("hashing {} and building the chunk list", image.string());
  const auto chunks = RATCHET_TRY(streaming::ChunkList::of_file(image, o.chunk_kib * 1024));
  streaming::ExpectedDigests digests;
  digests.sha256 = streaming::digest_of(streaming::HashAlgorithm::Sha256, bytes);

  streaming::ZstdEncodeOptions eo;
  eo.level = o.level;
  eo.frame_size = o.frame_mib << 20;
  eo.threads = 2;
  const fs::path zst = dir / "payload.zst";
  const fs::path delta = dir / "payload.delta";
  if (want_zstd && !fs::exists(zst)) {
    log::info("compressing (zstd -{}, {} MiB frames)", o.level, o.frame_mib);
    RATCHET_TRY(streaming::zstd_encode_file(image, zst, eo));
  }
  streaming::MappedFile ref_map;
  if (want_delta) {
    ref_map = RATCHET_TRY(streaming::MappedFile::open(reference));
    if (!fs::exists(delta)) {
      log::info("making the delta against {}", reference.string());
      auto deo = eo;
      deo.reference = ref_map.bytes();
      RATCHET_TRY(streaming::zstd_encode_file(image, delta, deo));
    }
  }

  std::vector<Row> rows;
  streaming::SlotWriterOptions wo;
  wo.mode = RATCHET_TRY(streaming::parse_write_mode(o.io));
  wo.create = true;  // a scratch target of its own
  // Limits, measured on the same data and target.
  // SHA-256 from memory: the compute limit, free of page faults and copies.
  std::vector<std::byte> heap(std::min<std::uint64_t>(length, 64u << 20));
  std::memcpy(heap.data(), bytes.data(), heap.size());
  rows.push_back(RATCHET_TRY(measure("limit: sha256", length, [&]() -> Status {
    streaming::Hasher h(streaming::HashAlgorithm::Sha256);
    for (std::uint64_t done = 0; done < length; done += heap.size())
      h.update(std::span(heap).first(std::min<std::uint64_t>(heap.size(), length - done)));
    (void)h.finish();
    return {};
  })));
  const auto write_image = [&]() -> Status {
    auto w = RATCHET_TRY(streaming::SlotWriter::open(target, length, wo));
    for (std::uint64_t off = 0; off < length; off += 1u << 20)
      RATCHET_TRY(w->write(bytes.subspan(off, std::min<std::uint64_t>(1u << 20, length - off))));
    return w->finish();
  };
  RATCHET_TRY(write_image());  // allocates the target's blocks, as a real slot has them
  rows.push_back(RATCHET_TRY(measure("limit: raw write", length, write_image)));
  if (want_zstd) {
    rows.push_back(RATCHET_TRY(measure("limit: zstd decode", length, [&]() -> Status {
      streaming::DiscardSink discard;
      streaming::ZstdDecoder d(discard, "payload", {});
      streaming::FileSource src(zst);
      RATCHET_TRY(src.read_into(0, d));
      return d.finish();
    })));
  }
  const fs::path chunk_file = dir / "image.chunks";
  RATCHET_TRY(write_file_atomic(chunk_file, chunks.serialize()));
  const auto run_install = [&](streaming::PayloadFormat f, const fs::path& payload) -> Result<Row> {
    std::vector<std::string> args = {"--payload",        payload.string(),
                                     "--format",         std::string(streaming::format_name(f)),
                                     "--target",         target.string(),
                                     "--length",         std::to_string(length),
                                     "--sha256",         to_hex(*digests.sha256),
                                     "--chunks",         chunk_file.string(),
                                     "--payload-length", std::to_string(fs::file_size(payload))};
    if (f == streaming::PayloadFormat::Delta) {
      args.push_back("--reference");
      args.push_back(reference.string());
    }
    args.push_back("--io");
    args.push_back(o.io);
    return measure_process(fmt::format("install {}", streaming::format_name(f)), length, args);
  };
  if (want_raw) rows.push_back(RATCHET_TRY(run_install(streaming::PayloadFormat::Raw, image)));
  if (want_zstd) rows.push_back(RATCHET_TRY(run_install(streaming::PayloadFormat::Zstd, zst)));
  if (want_delta) rows.push_back(RATCHET_TRY(run_install(streaming::PayloadFormat::Delta, delta)));
  return rows;
}

}  // namespace

Command add_bench_command(CLI::App& parent) {
  auto o = std::make_shared<BenchOptions>();
  CLI::App* app = parent.add_subcommand(
      "bench", "Measure the install pipeline against this machine's limits (sha256, zstd, write)");
  app->add_option("--image", o->image, "image to install (default: a generated one)");
  app->add_option("--reference", o->reference, "base image for the delta");
  app->add_option("--size", o->size_mib, "generated image size in MiB")->capture_default_str();
  app->add_option("--dir", o->dir, "work directory (payloads, default target)");
  app->add_option("--target", o->target, "slot to write (default: a file in --dir)");
  app->add_option("--formats", o->formats, "which installs: raw,zstd,delta")->capture_default_str();
  app->add_option("--level", o->level, "zstd level for the payloads")->capture_default_str();
  app->add_option("--frame-size", o->frame_mib, "MiB of image per zstd frame")
      ->capture_default_str();
  app->add_option("--chunk-size", o->chunk_kib, "KiB per verified chunk")->capture_default_str();
  app->add_option("--io", o->io, "auto (O_DIRECT for block devices), buffered or direct")
      ->capture_default_str();
  app->add_flag("--json", o->json, "machine-readable output");
  return {app, [o] {
            auto rows = run_bench(*o);
            if (!rows) return report_error(rows.error());
            double sha = 0, write = 0, zstd = 0, raw = 0, zinst = 0, dinst = 0;
            for (const auto& r : *rows) {
              if (r.name == "limit: sha256") sha = r.mbps();
              if (r.name == "limit: raw write") write = r.mbps();
              if (r.name == "limit: zstd decode") zstd = r.mbps();
              if (r.name == "install raw") raw = r.mbps();
              if (r.name == "install zstd") zinst = r.mbps();
              if (r.name == "install delta") dinst = r.mbps();
            }
            const auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
            if (o->json) {
              std::string out = "{\"rows\":[";
              for (std::size_t i = 0; i < rows->size(); ++i) {
                const auto& r = (*rows)[i];
                out += fmt::format(
                    "{}{{\"name\":\"{}\",\"bytes\":{},\"seconds\":{:.3f},\"mb_per_s\":{:.1f},"
                    "\"peak_rss_kib\":{},\"peak_anon_kib\":{}}}",
                    i ? "," : "", r.name, r.bytes, r.seconds, r.mbps(), r.peak_rss_kib,
                    r.peak_anon_kib);
              }
              out += fmt::format(
                  "],\"raw_vs_limit\":{:.3f},\"zstd_vs_limit\":{:.3f},\"delta_vs_zstd\":{:.3f}}}\n",
                  ratio(raw, std::min(sha, write)), ratio(zinst, std::min(zstd, write)),
                  ratio(dinst, zinst));
              (void)std::fputs(out.c_str(), stdout);
            } else {
              (void)std::printf("%-20s %10s %9s %10s %12s %12s\n", "stage", "MiB", "seconds",
                                "MB/s", "peak RSS", "peak anon");
              for (const auto& r : *rows)
                (void)std::printf("%-20s %10.0f %9.3f %10.1f %9llu KiB %9llu KiB\n", r.name.c_str(),
                                  static_cast<double>(r.bytes) / 1048576.0, r.seconds, r.mbps(),
                                  static_cast<unsigned long long>(r.peak_rss_kib),
                                  static_cast<unsigned long long>(r.peak_anon_kib));
              (void)std::printf("raw install   / min(sha256, write)      = %.2f\n",
                                ratio(raw, std::min(sha, write)));
              (void)std::printf("zstd install  / min(zstd decode, write) = %.2f\n",
                                ratio(zinst, std::min(zstd, write)));
              (void)std::printf("delta install / zstd install            = %.2f\n",
                                ratio(dinst, zinst));
            }
            return 0;
          }};
}

}  // namespace ratchet::cli
