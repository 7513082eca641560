// The operator side of the payload formats (ratchet-repo, tests, benchmarks): an image compressed
// as a sequence of independent zstd frames of bounded size, optionally each with a reference
// image as prefix (a delta). Frames carry their content size and a checksum, and frame boundaries
// are where a resumed install can pick up.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>

#include "common/result.hpp"

namespace ratchet::streaming {

struct ZstdEncodeOptions {
  int level = 3;
  // Output bytes per frame: the decoder's memory bound for deltas and the resume granularity.
  std::uint64_t frame_size = 16u << 20;
  // Non-empty: every frame is compressed against this reference (long-distance matching on).
  std::span<const std::byte> reference;
  unsigned threads = 0;  // zstd worker threads (0: none)
};

[[nodiscard]] Status zstd_encode_file(const std::filesystem::path& input,
                                      const std::filesystem::path& output,
                                      const ZstdEncodeOptions& options);

}  // namespace ratchet::streaming
