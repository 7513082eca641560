// The seam every streaming stage shares: bytes go in with write(), the end of the stream is
// announced with finish(). Stages chain: decompressor -> hasher -> slot writer.
#pragma once

#include <cstddef>
#include <span>

#include "common/result.hpp"

namespace ratchet::streaming {

class Sink {
 public:
  Sink() = default;
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;
  virtual ~Sink() = default;

  // Consumes all of `data` or fails; after a failure the stream is abandoned.
  [[nodiscard]] virtual Status write(std::span<const std::byte> data) = 0;

  // End of stream: flushes and runs the end-of-stream checks (length, digest, durability).
  [[nodiscard]] virtual Status finish() = 0;

  // Optional: memory further down the chain that the caller may fill and then pass to write(),
  // so the bytes are not copied again on their way (a span given to write() that starts at the
  // returned pointer is taken in place). Pass-through stages forward it; empty when there is none.
  [[nodiscard]] virtual std::span<std::byte> write_buffer() { return {}; }
};

}  // namespace ratchet::streaming
