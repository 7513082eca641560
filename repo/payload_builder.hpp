// The operator side of the payload formats (docs/streaming.md): an image as a payload (raw, zstd
// frames, or zstd frames against a base image), its chunk list, and the way back from a payload
// to its image (the base of a later delta, when only the encoded payload is kept).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "repo/repo_files.hpp"
#include "common/result.hpp"
#include "streaming/install.hpp"

namespace ratchet::repo {

// raw, zstd, delta: streaming::parse_format and format_name spell them.
using streaming::PayloadFormat;

// Output bytes per zstd frame: the resume granularity and the delta decoder's memory bound.
inline constexpr std::uint64_t kFrameSize = 16u << 20;

struct BuiltPayload {
  std::filesystem::path payload;  // the payload target's content
  bool payload_is_scratch = false;
  FileDigest payload_digest;
  std::filesystem::path chunks;  // a scratch file: the RCHUNKS1 list of the image
  FileDigest chunks_digest;
  FileDigest image;  // the image as it lands in the slot
};

struct PayloadRequest {
  std::filesystem::path image;
  PayloadFormat format = PayloadFormat::Raw;
  std::filesystem::path base{};  // Delta: the base image ({}: GCC 12, designated initializers)
  std::uint32_t chunk_size = 1u << 20;
  std::filesystem::path scratch_dir;  // where encoded payloads and chunk lists are made
};

// Hashes the image, writes its chunk list and (zstd, delta) encodes it; a raw payload is the
// image file itself. Scratch files are removed again on failure.
[[nodiscard]] Result<BuiltPayload> build_payload(const PayloadRequest& request);

// Decodes a zstd or delta payload (delta: against the image file `reference`) into `out`, checked
// against the image's length and SHA-256 (HashMismatch / LengthMismatch otherwise).
[[nodiscard]] Status decode_payload(const std::filesystem::path& payload, PayloadFormat format,
                                    const std::filesystem::path& reference, const FileDigest& image,
                                    const std::filesystem::path& out);

// A name for a new scratch file in `dir` (unique within this process).
[[nodiscard]] std::filesystem::path scratch_file(const std::filesystem::path& dir,
                                                 std::string_view suffix);

}  // namespace ratchet::repo
