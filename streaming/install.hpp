// One streaming pass from a source into a slot:
//
//   producer thread: source -> payload length/digest check -> [zstd | zstd delta] ---+
//   worker thread:   +--> [chunk gate | image digest check] -> slot writer
//
// with checkpoints at consistent points so a power cut resumes instead of starting over.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "streaming/chunk_list.hpp"
#include "streaming/hasher.hpp"
#include "streaming/slot_writer.hpp"
#include "streaming/source.hpp"

namespace ratchet::streaming {

enum class PayloadFormat : std::uint8_t { Raw, Zstd, Delta };

[[nodiscard]] std::string_view format_name(PayloadFormat f) noexcept;
[[nodiscard]] Result<PayloadFormat> parse_format(std::string_view name);

struct InstallProgress {
  std::uint64_t payload_bytes = 0;  // read from the source in this run (plus the resumed part)
  std::uint64_t payload_total = 0;
  std::uint64_t image_bytes = 0;  // verified and written
  std::uint64_t image_total = 0;
  double seconds = 0;
  bool done = false;
};

struct InstallRequest {
  std::string name = "image";  // names the image in errors
  PayloadFormat format = PayloadFormat::Raw;
  // The payload as it comes from the source (a Raw payload is the image itself). The length is
  // a hard bound; 0 means "not known" (then compressed input is bounded by zstd's worst case).
  std::uint64_t payload_length = 0;
  ExpectedDigests payload_digests;
  // The image as it must land in the slot.
  std::uint64_t image_length = 0;
  ExpectedDigests image_digests;
  // Signed per-chunk digests: with it, no unauthenticated byte ever reaches the slot.
  const ChunkList* chunks = nullptr;
  // Delta: the image the payload was made against (the active slot), and what it must hash to.
  std::filesystem::path reference;
  std::uint64_t reference_length = 0;  // 0: the whole file or device
  ExpectedDigests reference_digests;
  std::uint64_t max_frame_output = 64u << 20;
  unsigned window_log_max = 27;

  std::filesystem::path target;
  SlotWriterOptions writer;
  std::filesystem::path checkpoint;  // empty: not resumable
  std::uint64_t checkpoint_interval = 64u << 20;
  bool readback = false;  // read the slot back and verify it after writing
  std::size_t ring_buffers = 4;
  std::size_t ring_buffer_size = 1u << 20;
  std::function<void(const InstallProgress&)> on_progress;  // called at most every 200 ms
};

struct InstallReport {
  bool resumed = false;
  std::uint64_t resumed_payload_offset = 0;
  std::uint64_t resumed_image_offset = 0;
  std::uint64_t payload_bytes_read = 0;  // in this run
  SlotWriterStats writer;
  double seconds = 0;  // the streaming pass
  double readback_seconds = 0;
};

// Verifies and writes; Ok only when the slot holds exactly the expected image.
[[nodiscard]] Result<InstallReport> install(Source& source, const InstallRequest& request);

}  // namespace ratchet::streaming
