#include "repo/payload_builder.hpp"

#include <atomic>

#include <unistd.h>

#include "common/file.hpp"
#include "common/hex.hpp"
#include "streaming/chunk_list.hpp"
#include "streaming/digest_check.hpp"
#include "streaming/file_sink.hpp"
#include "streaming/file_source.hpp"
#include "streaming/mapped_file.hpp"
#include "streaming/zstd_decoder.hpp"
#include "streaming/zstd_encoder.hpp"

namespace ratchet::repo {
namespace {

// Removes a scratch file unless released (the build succeeded).
class ScratchGuard {
 public:
  explicit ScratchGuard(std::filesystem::path path) : path_(std::move(path)) {}
  ScratchGuard(const ScratchGuard&) = delete;
  ScratchGuard& operator=(const ScratchGuard&) = delete;
  ~ScratchGuard() {
    if (path_.empty()) return;
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  void release() noexcept { path_.clear(); }

 private:
  std::filesystem::path path_;
};

}  // namespace

std::filesystem::path scratch_file(const std::filesystem::path& dir, std::string_view suffix) {
  static std::atomic<unsigned> counter{0};
  return dir / fmt::format("{}-{}{}", ::getpid(), counter.fetch_add(1), suffix);
}

Result<BuiltPayload> build_payload(const PayloadRequest& request) {
  std::error_code ec;
  std::filesystem::create_directories(request.scratch_dir, ec);
  if (ec) return fail(errno_error(ec.value(), request.scratch_dir.string()));
  BuiltPayload built;
  built.image = RATCHET_TRY_CTX(digest_file(request.image), "image");

  built.chunks = scratch_file(request.scratch_dir, ".chunks");
  ScratchGuard chunks_guard(built.chunks);
  const auto list =
      RATCHET_TRY_CTX(streaming::ChunkList::of_file(request.image, request.chunk_size), "image");
  if (list.image_length() != built.image.length)
    return fail(Code::Io, "image {}: changed while it was read", request.image.string());
  RATCHET_TRY(write_file_atomic(built.chunks, list.serialize()));
  built.chunks_digest = RATCHET_TRY(digest_file(built.chunks));

  if (request.format == PayloadFormat::Raw) {
    built.payload = request.image;
    built.payload_digest = built.image;
    chunks_guard.release();
    return built;
  }
  built.payload = scratch_file(request.scratch_dir, ".zst");
  ScratchGuard payload_guard(built.payload);
  streaming::ZstdEncodeOptions options;
  options.frame_size = kFrameSize;
  streaming::MappedFile base;
  if (request.format == PayloadFormat::Delta) {
    base = RATCHET_TRY_CTX(streaming::MappedFile::open(request.base), "delta base");
    if (base.bytes().empty())
      return fail(Code::InvalidArgument, "delta base {} is empty", request.base.string());
    options.reference = base.bytes();
  }
  RATCHET_TRY_CTX(streaming::zstd_encode_file(request.image, built.payload, options),
                  fmt::format("encoding {}", request.image.string()));
  built.payload_is_scratch = true;
  built.payload_digest = RATCHET_TRY(digest_file(built.payload));
  payload_guard.release();
  chunks_guard.release();
  return built;
}

Status decode_payload(const std::filesystem::path& payload, PayloadFormat format,
                      const std::filesystem::path& reference, const FileDigest& image,
                      const std::filesystem::path& out) {
  if (format == PayloadFormat::Raw)
    return fail(Code::InvalidArgument, "{}: a raw payload is its image", payload.string());
  streaming::MappedFile base;
  streaming::ZstdDecoderOptions options;
  if (format == PayloadFormat::Delta) {
    base = RATCHET_TRY_CTX(streaming::MappedFile::open(reference), "delta base");
    options.reference = base.bytes();
    options.reference_verified = true;
  }
  // Frames declare their content size, so the image is bounded by the frames it came in.
  options.max_frame_output = kFrameSize;
  auto file = RATCHET_TRY(streaming::FileSink::create(out));
  streaming::ExpectedDigests expected;
  expected.sha256 = RATCHET_TRY(from_hex(image.sha256));
  streaming::DigestCheck check(*file, "image of " + payload.string(), image.length, expected);
  streaming::ZstdDecoder decoder(check, "payload " + payload.string(), options);
  streaming::FileSource source(payload);
  RATCHET_TRY(source.read_into(0, decoder));
  return decoder.finish();
}

}  // namespace ratchet::repo
