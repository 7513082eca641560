// `ratchet write`: the streaming pipeline as a command (factory flashing, benchmarking, recovery).
#include <cstdio>
#include <memory>
#include <optional>

#include "agent/cli/command.hpp"
#include "agent/cli/exit_code.hpp"
#include "agent/cli/progress.hpp"
#include "common/file.hpp"
#include "common/hex.hpp"
#include "common/log.hpp"
#include "streaming/file_source.hpp"
#include "streaming/http_source.hpp"
#include "streaming/install.hpp"

namespace ratchet::cli {
namespace {

struct WriteOptions {
  std::string payload;
  std::string format = "raw";
  std::string reference;
  std::string reference_sha256;
  std::string target;
  std::uint64_t length = 0;
  std::string sha256;
  std::string sha512;
  std::uint64_t payload_length = 0;
  std::string payload_sha256;
  std::string chunks;
  std::string checkpoint;
  std::uint64_t checkpoint_mib = 64;
  std::string io = "auto";
  bool skip_identical = false;
  bool readback = false;
  std::uint64_t max_frame_size = 64u << 20;
  std::string ca_file, cert, key;
  std::uint64_t min_rate = 1024;
  unsigned retries = 4;
  bool json = false;
};

Result<std::optional<std::vector<std::byte>>> digest_option(const std::string& hex,
                                                            std::size_t size,
                                                            std::string_view option) {
  if (hex.empty()) return std::optional<std::vector<std::byte>>();
  auto bytes = from_hex(hex);
  if (!bytes || bytes->size() != size)
    return fail(Code::InvalidArgument, "{}: expected {} hex digits", option, size * 2);
  return std::optional<std::vector<std::byte>>(std::move(*bytes));
}

Result<streaming::InstallReport> run_write(const WriteOptions& o) {
  streaming::InstallRequest r;
  r.name = o.target;
  r.format = RATCHET_TRY(streaming::parse_format(o.format));
  r.image_length = o.length;
  r.image_digests.sha256 = RATCHET_TRY(digest_option(o.sha256, 32, "--sha256"));
  r.image_digests.sha512 = RATCHET_TRY(digest_option(o.sha512, 64, "--sha512"));
  r.payload_length = o.payload_length;
  r.payload_digests.sha256 = RATCHET_TRY(digest_option(o.payload_sha256, 32, "--payload-sha256"));
  r.reference = o.reference;
  r.reference_digests.sha256 =
      RATCHET_TRY(digest_option(o.reference_sha256, 32, "--reference-sha256"));
  if (r.format == streaming::PayloadFormat::Delta && o.reference.empty())
    return fail(Code::InvalidArgument, "--format delta needs --reference");
  std::optional<streaming::ChunkList> chunks;
  if (!o.chunks.empty()) {
    const auto text = RATCHET_TRY(read_file(o.chunks, 64u << 20));
    chunks = RATCHET_TRY_CTX(
        streaming::ChunkList::parse(std::as_bytes(std::span(text.data(), text.size()))), o.chunks);
    r.chunks = &*chunks;
  }
  if (r.image_digests.empty() && r.chunks == nullptr)
    return fail(Code::InvalidArgument, "give --sha256 (or --sha512, or --chunks) of the image");
  r.max_frame_output = o.max_frame_size;
  r.target = o.target;
  r.writer.mode = RATCHET_TRY(streaming::parse_write_mode(o.io));
  r.writer.skip_identical = o.skip_identical;
  r.writer.create = true;  // a tool: --target may name a new file (the agent's slots never are)
  r.checkpoint = o.checkpoint;
  r.checkpoint_interval = o.checkpoint_mib << 20;
  r.readback = o.readback;
  ProgressPrinter printer("write " + o.target, o.json);
  r.on_progress = [&](const streaming::InstallProgress& p) {
    printer.update(p.image_bytes, p.image_total, p.payload_bytes, p.seconds, p.done);
  };

  std::unique_ptr<streaming::Source> source;
  if (o.payload.starts_with("http://") || o.payload.starts_with("https://")) {
    streaming::HttpOptions h;
    h.ca_file = o.ca_file;
    h.client_cert = o.cert;
    h.client_key = o.key;
    h.min_rate = o.min_rate;
    h.retries = o.retries;
    source = std::make_unique<streaming::HttpSource>(o.payload, h);
  } else {
    source = std::make_unique<streaming::FileSource>(o.payload);
  }
  return streaming::install(*source, r);
}

}  // namespace

int report_error(const Error& error) {
  (void)std::fprintf(stderr, "error: %s\n", error.to_string().c_str());
  return static_cast<int>(exit_code_for(error));
}

Command add_write_command(CLI::App& parent) {
  auto o = std::make_shared<WriteOptions>();
  CLI::App* app = parent.add_subcommand(
      "write",
      "Stream a payload into a slot, verifying as it goes (exit 0 only when the slot "
      "holds exactly the expected image)");
  app->add_option("--payload", o->payload, "payload file or http(s) URL")->required();
  app->add_option("--format", o->format, "raw, zstd or delta")->capture_default_str();
  app->add_option("--reference", o->reference, "delta: the image the payload was made against");
  app->add_option("--reference-sha256", o->reference_sha256,
                  "delta: digest the reference must have");
  app->add_option("--target", o->target, "slot: block device or file")->required();
  app->add_option("--length", o->length, "image length in bytes")->required();
  app->add_option("--sha256", o->sha256, "SHA-256 of the image");
  app->add_option("--sha512", o->sha512, "SHA-512 of the image");
  app->add_option("--payload-length", o->payload_length, "payload length (a hard bound)");
  app->add_option("--payload-sha256", o->payload_sha256, "SHA-256 of the payload as downloaded");
  app->add_option("--chunks", o->chunks, "signed per-chunk digest list: verify before writing");
  app->add_option("--checkpoint", o->checkpoint,
                  "file recording progress, to resume after a power cut");
  app->add_option("--checkpoint-interval", o->checkpoint_mib, "MiB of image between checkpoints")
      ->capture_default_str();
  app->add_option("--io", o->io, "auto (O_DIRECT for block devices), buffered or direct")
      ->capture_default_str();
  app->add_flag("--skip-identical", o->skip_identical, "do not rewrite blocks that already match");
  app->add_flag("--readback", o->readback, "read the slot back and verify it afterwards");
  app->add_option("--max-frame-size", o->max_frame_size,
                  "largest delta frame to decode (memory bound)")
      ->capture_default_str();
  app->add_option("--ca-file", o->ca_file, "CA certificates for HTTPS");
  app->add_option("--cert", o->cert, "client certificate (mutual TLS)");
  app->add_option("--key", o->key, "client key (mutual TLS)");
  app->add_option("--min-rate", o->min_rate, "slowest acceptable transfer, bytes/s")
      ->capture_default_str();
  app->add_option("--retries", o->retries, "further attempts after a transient failure")
      ->capture_default_str();
  app->add_flag("--json", o->json, "progress and result as JSON lines on stdout");
  return {app, [o] {
            auto report = run_write(*o);
            if (!report) return report_error(report.error());
            const auto& rep = *report;
            const double mbps =
                rep.seconds > 0 ? static_cast<double>(o->length) / rep.seconds / 1e6 : 0;
            if (o->json) {
              (void)std::printf(
                  "{\"result\":\"ok\",\"image_bytes\":%llu,\"seconds\":%.3f,\"mb_per_s\":%.1f,"
                  "\"resumed\":%s,\"payload_bytes_read\":%llu,\"written\":%llu,\"skipped\":%llu}\n",
                  static_cast<unsigned long long>(o->length), rep.seconds, mbps,
                  rep.resumed ? "true" : "false",
                  static_cast<unsigned long long>(rep.payload_bytes_read),
                  static_cast<unsigned long long>(rep.writer.written),
                  static_cast<unsigned long long>(rep.writer.skipped));
            } else {
              log::notice(
                  "{}: {} verified and written in {:.2f} s ({:.0f} MB/s){}", o->target,
                  human_bytes(static_cast<double>(o->length)), rep.seconds, mbps,
                  rep.resumed ? fmt::format(", resumed at byte {}", rep.resumed_image_offset) : "");
            }
            return 0;
          }};
}

}  // namespace ratchet::cli
