#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_getFrameHeader (exported by Debian's libzstd)
#include "streaming/zstd_decoder.hpp"

#include <zstd.h>
#include <zstd_errors.h>

namespace ratchet::streaming {

ZstdDecoder::ZstdDecoder(Sink& next, std::string what, ZstdDecoderOptions options)
    : next_(next),
      what_(std::move(what)),
      options_(std::move(options)),
      dctx_(ZSTD_createDCtx()),
      out_(options_.output_buffer_size) {
  header_.reserve(ZSTD_FRAMEHEADERSIZE_MAX);
}

Error ZstdDecoder::zstd_error(std::size_t rc) const {
  const auto code = ZSTD_getErrorCode(rc);
  if (!options_.reference.empty() && !options_.reference_verified &&
      code == ZSTD_error_checksum_wrong)
    return Error(Code::BadReference,
                 fmt::format("{}: frame {} does not decode to what was compressed (checksum "
                             "mismatch): the reference is not the base image, or the payload is "
                             "corrupt",
                             what_, frame_index_));
  return Error(Code::BadCompression, fmt::format("{}: frame {} at payload offset {}: {}", what_,
                                                 frame_index_, consumed_, ZSTD_getErrorName(rc)));
}

Status ZstdDecoder::start_frame() {
  if (!dctx_) return fail(Code::Internal, "{}: ZSTD_createDCtx failed", what_);
  ZSTD_frameHeader fh{};
  const std::size_t rc = ZSTD_getFrameHeader(&fh, header_.data(), header_.size());
  if (ZSTD_isError(rc))
    return fail(Code::BadCompression, "{}: no zstd frame at payload offset {}: {}", what_,
                consumed_, ZSTD_getErrorName(rc));
  const bool delta = !options_.reference.empty();
  if (fh.frameType == ZSTD_frame) {
    if (delta) {
      if (fh.frameContentSize == ZSTD_CONTENTSIZE_UNKNOWN)
        return fail(Code::BadCompression, "{}: delta frame {} does not declare its size", what_,
                    frame_index_);
      if (fh.frameContentSize > options_.max_frame_output)
        return fail(Code::BadCompression,
                    "{}: delta frame {} declares {} bytes, more than the bounded-memory limit of "
                    "{} (split the payload into smaller frames)",
                    what_, frame_index_, fh.frameContentSize, options_.max_frame_output);
    }
  }
  std::size_t r = ZSTD_DCtx_reset(dctx_.get(), ZSTD_reset_session_only);
  if (!ZSTD_isError(r))
    r = ZSTD_DCtx_setParameter(
        dctx_.get(), ZSTD_d_windowLogMax,
        delta ? ZSTD_WINDOWLOG_MAX : static_cast<int>(options_.window_log_max));
  if (!ZSTD_isError(r) && delta && fh.frameType == ZSTD_frame)
    r = ZSTD_DCtx_refPrefix(dctx_.get(), options_.reference.data(), options_.reference.size());
  if (ZSTD_isError(r)) return fail(zstd_error(r));
  at_frame_start_ = false;
  std::span<const std::byte> head(header_);
  RATCHET_TRY(decode(head));
  // A frame shorter than the header buffer: what is left already belongs to the next frame.
  std::vector<std::byte> rest(head.begin(), head.end());
  header_.swap(rest);
  return {};
}

Status ZstdDecoder::flush_output() {
  if (out_pos_ == 0) return {};
  RATCHET_TRY(next_.write(out_span_.first(out_pos_)));
  produced_ += out_pos_;
  out_pos_ = 0;
  return {};
}

// Decodes until `data` is used up or the current frame ends (then `data` holds the rest).
Status ZstdDecoder::decode(std::span<const std::byte>& data) {
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  while (true) {
    if (out_pos_ == 0) {  // decode straight into the next stage's buffer when it has one
      const auto offered = next_.write_buffer();
      out_span_ = offered.size() >= std::size_t{64} * 1024 ? offered : std::span<std::byte>(out_);
    }
    ZSTD_outBuffer out{out_span_.data(), out_span_.size(), out_pos_};
    const std::size_t rc = ZSTD_decompressStream(dctx_.get(), &out, &in);
    consumed_ += in.pos;
    if (options_.input_tap != nullptr && in.pos > 0)
      RATCHET_TRY(options_.input_tap->write(data.first(in.pos)));
    data = data.subspan(in.pos);
    in = ZSTD_inBuffer{data.data(), data.size(), 0};
    out_pos_ = out.pos;
    if (ZSTD_isError(rc)) return fail(zstd_error(rc));
    if (rc == 0) {  // frame complete and fully flushed into out_span_
      RATCHET_TRY(flush_output());
      at_frame_start_ = true;
      ++frame_index_;
      if (options_.on_frame_end) RATCHET_TRY(options_.on_frame_end(consumed_, produced_));
      return {};
    }
    if (out_pos_ == out_span_.size()) {
      RATCHET_TRY(flush_output());
      continue;
    }
    if (data.empty()) return {};  // needs more input
  }
}

Status ZstdDecoder::write(std::span<const std::byte> data) {
  while (!data.empty()) {
    if (at_frame_start_) {
      const std::size_t take = std::min(data.size(), ZSTD_FRAMEHEADERSIZE_MAX - header_.size());
      // Header bytes are kept aside (and counted as consumed) until the header is complete.
      header_.insert(header_.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(take));
      data = data.subspan(take);
      ZSTD_frameHeader fh{};
      const std::size_t need = ZSTD_getFrameHeader(&fh, header_.data(), header_.size());
      if (!ZSTD_isError(need) && need > 0 && header_.size() < ZSTD_FRAMEHEADERSIZE_MAX) continue;
      RATCHET_TRY(start_frame());
      continue;
    }
    RATCHET_TRY(decode(data));
  }
  return {};
}

Status ZstdDecoder::finish() {
  // Short last frames whose whole encoding is smaller than the largest header.
  while (at_frame_start_ && !header_.empty())
    RATCHET_TRY(start_frame());
  if (!at_frame_start_)
    return fail(Code::BadCompression, "{}: payload ends inside frame {} (after {} bytes)", what_,
                frame_index_, consumed_);
  if (frame_index_ == 0) return fail(Code::BadCompression, "{}: empty payload", what_);
  if (options_.input_tap != nullptr) RATCHET_TRY(options_.input_tap->finish());
  return next_.finish();
}

}  // namespace ratchet::streaming
