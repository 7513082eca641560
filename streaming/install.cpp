#include "streaming/install.hpp"

#include <atomic>
#include <chrono>
#include <memory>

#include <zstd.h>

#include "common/file.hpp"
#include "common/hex.hpp"
#include "common/log.hpp"
#include "streaming/checkpoint.hpp"
#include "streaming/chunk_gate.hpp"
#include "streaming/digest_check.hpp"
#include "streaming/discard_sink.hpp"
#include "streaming/file_source.hpp"
#include "streaming/mapped_file.hpp"
#include "streaming/threaded_stage.hpp"
#include "streaming/zstd_decoder.hpp"

namespace ratchet::streaming {
namespace {

using Clock = std::chrono::steady_clock;

// Counts bytes on their way through (read by the progress reporter on another thread).
class Counter final : public Sink {
 public:
  Counter(Sink& next, std::atomic<std::uint64_t>& count, std::function<void()> after = {})
      : next_(next), count_(count), after_(std::move(after)) {}
  Status write(std::span<const std::byte> data) override {
    RATCHET_TRY(next_.write(data));
    count_.fetch_add(data.size(), std::memory_order_relaxed);
    if (after_) after_();
    return {};
  }
  Status finish() override { return next_.finish(); }
  std::span<std::byte> write_buffer() override { return next_.write_buffer(); }

 private:
  Sink& next_;
  std::atomic<std::uint64_t>& count_;
  std::function<void()> after_;
};

// Raw payloads: splits the stream at multiples of `interval` and reports each boundary after the
// stage behind it has taken everything up to there.
class IntervalMarker final : public Sink {
 public:
  IntervalMarker(Sink& next, std::uint64_t start, std::uint64_t interval,
                 std::function<Status(std::uint64_t)> on_boundary)
      : next_(next), offset_(start), interval_(interval), on_boundary_(std::move(on_boundary)) {}
  Status write(std::span<const std::byte> data) override {
    while (!data.empty()) {
      const std::uint64_t to_boundary = interval_ - offset_ % interval_;
      const std::size_t n =
          static_cast<std::size_t>(std::min<std::uint64_t>(to_boundary, data.size()));
      RATCHET_TRY(next_.write(data.first(n)));
      offset_ += n;
      data = data.subspan(n);
      if (offset_ % interval_ == 0) RATCHET_TRY(on_boundary_(offset_));
    }
    return {};
  }
  Status finish() override { return next_.finish(); }
  std::span<std::byte> write_buffer() override {
    // Never past the next boundary, so a boundary never falls inside a buffer filled in place.
    auto b = next_.write_buffer();
    return b.first(std::min<std::uint64_t>(b.size(), interval_ - offset_ % interval_));
  }

 private:
  Sink& next_;
  std::uint64_t offset_;
  std::uint64_t interval_;
  std::function<Status(std::uint64_t)> on_boundary_;
};

std::string identity_of(const InstallRequest& r) {
  Hasher h(HashAlgorithm::Sha256);
  const auto add = [&](std::string_view s) {
    h.update(std::as_bytes(std::span(s.data(), s.size())));
    h.update(std::as_bytes(std::span("\n", 1)));
  };
  const auto add_digests = [&](const ExpectedDigests& d) {
    add(d.sha256 ? to_hex(*d.sha256) : "-");
    add(d.sha512 ? to_hex(*d.sha512) : "-");
  };
  add(format_name(r.format));
  add(std::to_string(r.payload_length));
  add_digests(r.payload_digests);
  add(std::to_string(r.image_length));
  add_digests(r.image_digests);
  if (r.chunks != nullptr) {
    const std::string list = r.chunks->serialize();
    add(to_hex(
        digest_of(HashAlgorithm::Sha256, std::as_bytes(std::span(list.data(), list.size())))));
  }
  add(r.target.string());
  add(r.reference.string());
  return to_hex(h.finish());
}

Status check_reference(const InstallRequest& r, std::span<const std::byte> reference) {
  if (r.reference_digests.empty()) return {};
  DiscardSink discard;
  DigestCheck check(discard, "reference " + r.reference.string(), reference.size(),
                    r.reference_digests);
  RATCHET_TRY(check.write(reference));
  auto s = check.finish();
  if (!s)
    return fail(Code::BadReference, "{} does not hold the image the delta was made against: {}",
                r.reference.string(), s.error().message());
  return {};
}

Status validate(const InstallRequest& r) {
  if (r.target.empty()) return fail(Code::InvalidArgument, "no target slot given");
  if (r.chunks == nullptr && r.image_digests.empty() && r.payload_digests.empty())
    return fail(Code::InvalidArgument, "{}: nothing to verify against (no digest, no chunk list)",
                r.name);
  if (r.chunks != nullptr && r.chunks->image_length() != r.image_length)
    return fail(Code::LengthMismatch, "{}: chunk list covers {} bytes, the image has {}", r.name,
                r.chunks->image_length(), r.image_length);
  if (r.format == PayloadFormat::Raw && r.payload_length != 0 && r.payload_length != r.image_length)
    return fail(Code::LengthMismatch, "{}: raw payload of {} bytes for an image of {}", r.name,
                r.payload_length, r.image_length);
  if (r.format == PayloadFormat::Delta && r.reference.empty())
    return fail(Code::InvalidArgument, "{}: a delta payload needs a reference", r.name);
  return {};
}

}  // namespace

std::string_view format_name(PayloadFormat f) noexcept {
  switch (f) {
    case PayloadFormat::Raw:
      return "raw";
    case PayloadFormat::Zstd:
      return "zstd";
    case PayloadFormat::Delta:
      return "delta";
  }
  return "?";
}

Result<PayloadFormat> parse_format(std::string_view name) {
  if (name == "raw") return PayloadFormat::Raw;
  if (name == "zstd") return PayloadFormat::Zstd;
  if (name == "delta") return PayloadFormat::Delta;
  return fail(Code::InvalidArgument, "unknown payload format '{}' (raw, zstd, delta)", name);
}

Result<InstallReport> install(Source& source, const InstallRequest& request) {
  RATCHET_TRY(validate(request));
  InstallRequest r = request;
  const bool raw = r.format == PayloadFormat::Raw;
  if (raw) {
    r.payload_length = r.image_length;
    if (r.payload_digests.empty()) r.payload_digests = r.image_digests;
  }
  const bool payload_length_known = r.payload_length != 0;
  if (!payload_length_known)  // compressed input can be at most zstd's worst case
    r.payload_length = ZSTD_compressBound(r.image_length) + (r.image_length / 4096 + 1) * 32;
  const std::uint64_t chunk = r.chunks != nullptr ? r.chunks->chunk_size() : 4096;
  std::uint64_t interval = std::max<std::uint64_t>(r.checkpoint_interval, r.writer.head_size);
  interval = (interval + chunk - 1) / chunk * chunk;

  MappedFile reference;
  if (r.format == PayloadFormat::Delta) {
    reference = RATCHET_TRY(MappedFile::open(r.reference, r.reference_length));
    RATCHET_TRY(check_reference(r, reference.bytes()));
  }

  // Resume from a checkpoint of this very install, if there is one.
  const std::string identity = identity_of(r);
  std::optional<Checkpoint> resume;
  std::vector<std::byte> saved_head;
  if (!r.checkpoint.empty()) {
    auto loaded = Checkpoint::load(r.checkpoint);
    if (loaded && *loaded && (*loaded)->identity == identity) {
      auto head = read_file(head_path(r.checkpoint), r.writer.head_size);
      if (head) {
        saved_head.assign(reinterpret_cast<const std::byte*>(head->data()),
                          reinterpret_cast<const std::byte*>(head->data()) + head->size());
        resume = std::move(**loaded);
      }
    }
    if (!resume) remove_checkpoint(r.checkpoint);
  }

  InstallReport report;
  std::atomic<std::uint64_t> payload_count{resume ? resume->payload_offset : 0};
  std::atomic<std::uint64_t> image_count{resume ? resume->image_offset : 0};

  // Worker side: verify, then write.
  auto writer = RATCHET_TRY(SlotWriter::open(r.target, r.image_length, r.writer,
                                             resume ? resume->image_offset : 0, saved_head));
  Counter written(*writer, image_count);
  // Chunk hashing goes where there is time for it. A compressed payload keeps the producer busy
  // decoding, so the worker checks every chunk. A raw payload leaves the producer nearly idle,
  // so the two threads share it: the producer checks the even chunks, the worker the odd ones,
  // and no chunk is written before its check.
  const bool gate_on_producer = raw && r.chunks != nullptr;
  std::unique_ptr<ChunkGate> producer_gate;
  std::unique_ptr<DigestCheck> image_check;
  Sink* worker_head = &written;
  std::unique_ptr<ChunkGate> worker_gate;
  if (r.chunks != nullptr) {
    worker_gate = std::make_unique<ChunkGate>(
        written, *r.chunks, r.name, resume ? resume->image_offset / chunk : 0,
        gate_on_producer ? ChunkGate::Share::Odd : ChunkGate::Share::All);
    worker_head = worker_gate.get();
  } else if (!raw && !r.image_digests.empty()) {
    image_check =
        std::make_unique<DigestCheck>(written, "image " + r.name, r.image_length, r.image_digests);
    worker_head = image_check.get();
  }
  if (resume && image_check)
    RATCHET_TRY(image_check->restore(resume->image_offset, resume->image_state));

  const auto start = Clock::now();
  auto last_progress = start;
  const auto progress = [&](bool done) {
    if (!r.on_progress) return;
    const auto now = Clock::now();
    if (!done && now - last_progress < std::chrono::milliseconds(200)) return;
    last_progress = now;
    r.on_progress(InstallProgress{payload_count.load(), r.payload_length, image_count.load(),
                                  r.image_length,
                                  std::chrono::duration<double>(now - start).count(), done});
  };
  bool head_saved = resume.has_value();
  const auto on_mark = [&](const StreamMark& m) -> Status {
    if (r.checkpoint.empty()) return {};
    if (worker_gate && !worker_gate->at_chunk_boundary()) return {};
    if (!writer->head_complete() || writer->offset() >= r.image_length) return {};
    RATCHET_TRY(writer->sync());
    if (!head_saved) {
      RATCHET_TRY(write_file_atomic(head_path(r.checkpoint), writer->head(), 0600));
      head_saved = true;
    }
    Checkpoint c{identity, m.payload_offset, writer->offset(), m.payload_state,
                 image_check ? image_check->save() : std::string()};
    return c.save(r.checkpoint);
  };
  ThreadedStage handoff(*worker_head, r.ring_buffers, r.ring_buffer_size, on_mark);

  // Producer side: check the payload, decode.
  DiscardSink tap_end;
  std::unique_ptr<DigestCheck> payload_check;
  std::unique_ptr<ZstdDecoder> decoder;
  std::unique_ptr<IntervalMarker> marker;
  Sink* producer_head = nullptr;
  std::uint64_t last_mark_output = resume ? resume->image_offset : 0;
  if (raw) {
    Sink* checked = &handoff;
    if (gate_on_producer) {
      producer_gate = std::make_unique<ChunkGate>(handoff, *r.chunks, r.name,
                                                  resume ? resume->image_offset / chunk : 0,
                                                  ChunkGate::Share::Even);
      checked = producer_gate.get();
    }
    // A raw payload is the image. With a chunk list every byte of it is authenticated before it
    // moves on, so a whole-payload digest would only hash the same bytes a second time; the
    // length bound stays.
    payload_check =
        std::make_unique<DigestCheck>(*checked, "payload " + r.name, r.payload_length,
                                      gate_on_producer ? ExpectedDigests{} : r.payload_digests);
    marker = std::make_unique<IntervalMarker>(
        *payload_check, resume ? resume->payload_offset : 0, interval,
        [&](std::uint64_t off) -> Status {
          if (producer_gate && !producer_gate->at_chunk_boundary()) return {};
          return handoff.mark(StreamMark{off, payload_check->save()});
        });
    producer_head = marker.get();
  } else {
    payload_check = std::make_unique<DigestCheck>(tap_end, "payload " + r.name, r.payload_length,
                                                  r.payload_digests, payload_length_known);
    ZstdDecoderOptions zo;
    zo.reference = reference.bytes();
    zo.reference_verified = !r.reference_digests.empty();
    zo.window_log_max = r.window_log_max;
    zo.max_frame_output = r.max_frame_output;
    zo.input_tap = payload_check.get();
    zo.on_frame_end = [&](std::uint64_t in, std::uint64_t out) -> Status {
      const std::uint64_t image_at = (resume ? resume->image_offset : 0) + out;
      if (image_at - last_mark_output < interval) return {};
      last_mark_output = image_at;
      return handoff.mark(
          StreamMark{(resume ? resume->payload_offset : 0) + in, payload_check->save()});
    };
    decoder = std::make_unique<ZstdDecoder>(handoff, "payload " + r.name, std::move(zo));
    producer_head = decoder.get();
  }
  if (resume) {
    RATCHET_TRY(payload_check->restore(resume->payload_offset, resume->payload_state));
    report.resumed = true;
    report.resumed_payload_offset = resume->payload_offset;
    report.resumed_image_offset = resume->image_offset;
    log::info("{}: resuming at payload byte {} (image byte {})", r.name, resume->payload_offset,
              resume->image_offset);
  }
  // Progress is reported from the reading side (this thread only), whatever the checkpoints do.
  Counter counted(*producer_head, payload_count, [&] { progress(false); });

  Status status;
  if (!resume || resume->payload_offset < r.payload_length || !raw)
    status = source.read_into(resume ? resume->payload_offset : 0, counted);
  if (status)
    status = counted.finish();
  else
    (void)handoff.finish();  // stop the worker; the source's error is the one to report
  report.payload_bytes_read = payload_count.load() - (resume ? resume->payload_offset : 0);
  report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (!status) {
    // A payload that failed verification is not resumed: its verified-looking prefix may be bad.
    if (status.error().kind() == ErrorKind::Security) remove_checkpoint(r.checkpoint);
    return fail(std::move(status).error());
  }
  report.writer = writer->stats();
  progress(true);

  if (r.readback) {
    const auto rb_start = Clock::now();
    DiscardSink discard;
    std::unique_ptr<Sink> check;
    if (r.chunks != nullptr)
      check = std::make_unique<ChunkGate>(discard, *r.chunks, "read-back of " + r.target.string());
    else
      check = std::make_unique<DigestCheck>(
          discard, "read-back of " + r.target.string(), r.image_length,
          r.image_digests.empty() ? r.payload_digests : r.image_digests);
    if (raw || r.chunks != nullptr || !r.image_digests.empty()) {
      FileSource slot(r.target, r.image_length, 4u << 20, FileSource::Kind::Slot);
      RATCHET_TRY(slot.read_into(0, *check));
      RATCHET_TRY(check->finish());
    }
    report.readback_seconds = std::chrono::duration<double>(Clock::now() - rb_start).count();
  }
  if (!r.checkpoint.empty()) remove_checkpoint(r.checkpoint);
  return report;
}

}  // namespace ratchet::streaming
