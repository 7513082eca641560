// Stage: lets a chunk of the output image through only after its SHA-256 matches the signed chunk
// list, so the slot never holds a byte that was not authenticated.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "streaming/chunk_list.hpp"
#include "streaming/sink.hpp"

namespace ratchet::streaming {

class ChunkGate final : public Sink {
 public:
  // Starts at chunk `first_chunk` (a resumed install); `what` names the image in errors.
  ChunkGate(Sink& next, const ChunkList& list, std::string what, std::size_t first_chunk = 0);

  [[nodiscard]] Status write(std::span<const std::byte> data) override;
  [[nodiscard]] Status finish() override;

  // Bytes of the image verified and passed on so far (the verified-chunk frontier).
  [[nodiscard]] std::uint64_t verified_bytes() const noexcept;
  // True when no partial chunk is held back (a consistent point for a checkpoint).
  [[nodiscard]] bool at_chunk_boundary() const noexcept { return pending_.empty(); }

 private:
  [[nodiscard]] Status pass_chunk(std::span<const std::byte> chunk);

  Sink& next_;
  const ChunkList& list_;
  std::string what_;
  std::size_t next_chunk_;
  std::vector<std::byte> pending_;  // a partial chunk, at most chunk_size bytes
};

}  // namespace ratchet::streaming
