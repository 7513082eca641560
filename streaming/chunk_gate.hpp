// Stage: lets a chunk of the output image through only after its SHA-256 matches the signed chunk
// list, so the slot never holds a byte that was not authenticated.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "streaming/chunk_list.hpp"
#include "streaming/hasher.hpp"
#include "streaming/sink.hpp"

namespace ratchet::streaming {

class ChunkGate final : public Sink {
 public:
  // Which chunks this gate hashes. Two gates in a row, one per thread, can share the hashing:
  // the first checks the even chunks, the second the odd ones, and nothing reaches the slot
  // before both have passed it.
  enum class Share : std::uint8_t { All, Even, Odd };

  // Starts at chunk `first_chunk` (a resumed install); `what` names the image in errors.
  ChunkGate(Sink& next, const ChunkList& list, std::string what, std::size_t first_chunk = 0,
            Share share = Share::All);

  [[nodiscard]] Status write(std::span<const std::byte> data) override;
  [[nodiscard]] Status finish() override;
  [[nodiscard]] std::span<std::byte> write_buffer() override {
    return pending_.empty() ? next_.write_buffer() : std::span<std::byte>();
  }

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
  Share share_;
  std::vector<std::byte> pending_;        // a partial chunk, at most chunk_size bytes
  Hasher hasher_{HashAlgorithm::Sha256};  // reused: no allocation per chunk
};

}  // namespace ratchet::streaming
