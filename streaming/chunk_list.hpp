// The signed list of per-chunk SHA-256 digests of an output image. Each chunk is verified before
// any byte of it reaches the slot, and a resumed install knows which chunks are already good.
//
// Format (all integers little-endian), exactly 24 + 32 * count bytes:
//   "RCHUNKS1"  u32 chunk_size  u32 reserved (0)  u64 image_length  count x sha256
// where count = ceil(image_length / chunk_size) and chunk_size is a power of two in [4 KiB, 64
// MiB].
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace ratchet::streaming {

using Sha256Digest = std::array<std::byte, 32>;

class ChunkList {
 public:
  static constexpr std::uint32_t kMinChunkSize = 4096;
  static constexpr std::uint32_t kMaxChunkSize = 64u << 20;
  static constexpr std::size_t kHeaderSize = 24;

  // Parses and validates; `max_bytes` bounds the list itself (it comes from the network).
  [[nodiscard]] static Result<ChunkList> parse(std::span<const std::byte> bytes,
                                               std::size_t max_bytes = 64u << 20);
  // Hashes an image file (the operator side: ratchet-repo, tests, benchmarks).
  [[nodiscard]] static Result<ChunkList> of_file(const std::filesystem::path& image,
                                                 std::uint32_t chunk_size);
  [[nodiscard]] static Result<ChunkList> of_bytes(std::span<const std::byte> image,
                                                  std::uint32_t chunk_size);

  [[nodiscard]] std::string serialize() const;

  [[nodiscard]] std::uint32_t chunk_size() const noexcept { return chunk_size_; }
  [[nodiscard]] std::uint64_t image_length() const noexcept { return image_length_; }
  [[nodiscard]] std::size_t count() const noexcept { return digests_.size(); }
  [[nodiscard]] const Sha256Digest& digest(std::size_t i) const { return digests_.at(i); }
  // Length of chunk i: chunk_size, except a shorter last chunk.
  [[nodiscard]] std::uint64_t chunk_length(std::size_t i) const noexcept;

 private:
  [[nodiscard]] static Status check_chunk_size(std::uint32_t chunk_size);
  std::uint32_t chunk_size_ = 0;
  std::uint64_t image_length_ = 0;
  std::vector<Sha256Digest> digests_;
};

}  // namespace ratchet::streaming
