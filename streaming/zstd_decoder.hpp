// Stage: zstd decompression, plain or delta. A delta payload is a sequence of zstd frames, each
// compressed with the whole reference image (the active slot, memory-mapped) as its prefix, and
// each declaring a bounded content size. zstd sizes its decode buffer by min(window, content
// size), so a frame that may reach back 1 GiB still needs only `max_frame_output` bytes of memory
// (the zstd CLI applies a 1 GiB --patch-from patch with a 1 GiB window buffer instead).
// A single-frame `zstd --patch-from` payload decodes too, when its size fits max_frame_output.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "common/handles/zstd.hpp"
#include "streaming/sink.hpp"

namespace ratchet::streaming {

struct ZstdDecoderOptions {
  // Non-empty for a delta payload: every frame is decoded with this as its prefix.
  std::span<const std::byte> reference;
  // The reference was checked against its digest beforehand: a frame checksum mismatch then means
  // a corrupt payload, not the wrong reference.
  bool reference_verified = false;
  // Largest window a plain frame may ask for (2^27 = 128 MiB, zstd's own default limit).
  unsigned window_log_max = 27;
  // Largest content size a delta frame may declare: the bound on decode memory.
  std::uint64_t max_frame_output = 64u << 20;
  std::size_t output_buffer_size = 1u << 20;
  // Receives exactly the payload bytes the decoder has consumed, as it consumes them (the payload
  // digest check), and is finished before the next stage; so a saved hashing state always
  // matches a frame boundary.
  Sink* input_tap = nullptr;
  // Called after each frame has been decoded and passed on: (payload bytes consumed, output bytes).
  std::function<Status(std::uint64_t, std::uint64_t)> on_frame_end;
};

class ZstdDecoder final : public Sink {
 public:
  ZstdDecoder(Sink& next, std::string what, ZstdDecoderOptions options);

  [[nodiscard]] Status write(std::span<const std::byte> data) override;
  [[nodiscard]] Status finish() override;

  [[nodiscard]] std::uint64_t bytes_in() const noexcept { return consumed_; }
  [[nodiscard]] std::uint64_t bytes_out() const noexcept { return produced_; }
  [[nodiscard]] bool at_frame_boundary() const noexcept {
    return at_frame_start_ && header_.empty();
  }

 private:
  [[nodiscard]] Status start_frame();
  [[nodiscard]] Status decode(std::span<const std::byte>& data);
  [[nodiscard]] Status flush_output();
  [[nodiscard]] Error zstd_error(std::size_t rc) const;

  Sink& next_;
  std::string what_;
  ZstdDecoderOptions options_;
  zstd::DCtx dctx_;
  std::vector<std::byte> out_;
  std::span<std::byte> out_span_;  // out_, or the next stage's buffer when it offers one
  std::size_t out_pos_ = 0;
  std::vector<std::byte> header_;  // the start of a frame, until its header is complete
  bool at_frame_start_ = true;
  std::uint64_t frame_index_ = 0;
  std::uint64_t consumed_ = 0;
  std::uint64_t produced_ = 0;
};

}  // namespace ratchet::streaming
