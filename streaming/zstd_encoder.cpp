#include "streaming/zstd_encoder.hpp"

#include <bit>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_WINDOWLOG_MAX
#include <zstd.h>

#include "common/file.hpp"
#include "common/handles/zstd.hpp"
#include "streaming/mapped_file.hpp"

namespace ratchet::streaming {
namespace {

Status check(std::size_t rc, std::string_view what) {
  if (ZSTD_isError(rc)) return fail(Code::Internal, "zstd {}: {}", what, ZSTD_getErrorName(rc));
  return {};
}

}  // namespace

Status zstd_encode_file(const std::filesystem::path& input, const std::filesystem::path& output,
                        const ZstdEncodeOptions& options) {
  if (options.frame_size == 0) return fail(Code::InvalidArgument, "frame size must be positive");
  auto image = RATCHET_TRY(MappedFile::open(input));
  const auto src = image.bytes();
  zstd::CCtx cctx(ZSTD_createCCtx());
  if (!cctx) return fail(Code::Internal, "ZSTD_createCCtx failed");
  auto out = RATCHET_TRY(open_file(output, O_WRONLY | O_CREAT | O_TRUNC, 0644));
  std::vector<std::byte> buf(ZSTD_compressBound(options.frame_size));
  const bool delta = !options.reference.empty();
  unsigned window_log = 0;
  if (delta) {
    // The window must reach from the end of a frame back to the start of the reference.
    const std::uint64_t span_needed = options.reference.size() + options.frame_size;
    window_log = std::max(10u, static_cast<unsigned>(std::bit_width(span_needed - 1)));
    if (window_log > ZSTD_WINDOWLOG_MAX)
      return fail(Code::TooLarge, "reference of {} bytes is beyond zstd's window",
                  options.reference.size());
  }
  for (std::uint64_t off = 0; off < src.size() || off == 0; off += options.frame_size) {
    const std::size_t len =
        static_cast<std::size_t>(std::min<std::uint64_t>(options.frame_size, src.size() - off));
    RATCHET_TRY(check(ZSTD_CCtx_reset(cctx.get(), ZSTD_reset_session_and_parameters), "reset"));
    RATCHET_TRY(
        check(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, options.level), "level"));
    RATCHET_TRY(check(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_checksumFlag, 1), "checksum"));
    RATCHET_TRY(check(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_contentSizeFlag, 1), "size"));
    if (options.threads > 0)
      RATCHET_TRY(check(
          ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_nbWorkers, static_cast<int>(options.threads)),
          "workers"));
    if (delta) {
      RATCHET_TRY(
          check(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_windowLog, static_cast<int>(window_log)),
                "window"));
      RATCHET_TRY(
          check(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_enableLongDistanceMatching, 1), "ldm"));
      RATCHET_TRY(
          check(ZSTD_CCtx_refPrefix(cctx.get(), options.reference.data(), options.reference.size()),
                "prefix"));
    }
    RATCHET_TRY(check(ZSTD_CCtx_setPledgedSrcSize(cctx.get(), len), "pledge"));
    const std::size_t n = ZSTD_compress2(cctx.get(), buf.data(), buf.size(), src.data() + off, len);
    RATCHET_TRY(check(n, "compress"));
    RATCHET_TRY(write_all(out.get(), std::span(buf).first(n), output.string()));
    if (src.empty()) break;
  }
  if (::fsync(out.get()) != 0) return fail(errno_error(errno, output.string()));
  if (const int err = out.close_checked(); err != 0) return fail(errno_error(err, output.string()));
  return {};
}

}  // namespace ratchet::streaming
