#include "streaming/chunk_gate.hpp"

#include <algorithm>

#include "common/constant_time.hpp"
#include "common/hex.hpp"
#include "streaming/hasher.hpp"

namespace ratchet::streaming {

ChunkGate::ChunkGate(Sink& next, const ChunkList& list, std::string what, std::size_t first_chunk,
                     Share share)
    : next_(next), list_(list), what_(std::move(what)), next_chunk_(first_chunk), share_(share) {
  pending_.reserve(list_.chunk_size());
}

std::uint64_t ChunkGate::verified_bytes() const noexcept {
  return std::min<std::uint64_t>(static_cast<std::uint64_t>(next_chunk_) * list_.chunk_size(),
                                 list_.image_length());
}

Status ChunkGate::pass_chunk(std::span<const std::byte> chunk) {
  if (chunk.size() != list_.chunk_length(next_chunk_))
    return fail(Code::LengthMismatch, "{}: chunk {} has {} bytes, expected {}", what_, next_chunk_,
                chunk.size(), list_.chunk_length(next_chunk_));
  const bool mine = share_ == Share::All || (next_chunk_ % 2 == 0) == (share_ == Share::Even);
  if (!mine) {
    ++next_chunk_;
    return next_.write(chunk);
  }
  Sha256Digest got{};
  hasher_.reset();
  hasher_.update(chunk);
  hasher_.finish_into(got);
  const auto& want = list_.digest(next_chunk_);
  if (!constant_time_equal(got, want))
    return fail(Code::ChunkMismatch,
                "{}: chunk {} (offset {}, {} bytes): sha256 is {}, expected {}", what_, next_chunk_,
                static_cast<std::uint64_t>(next_chunk_) * list_.chunk_size(), chunk.size(),
                to_hex(got), to_hex(want));
  ++next_chunk_;
  return next_.write(chunk);
}

Status ChunkGate::write(std::span<const std::byte> data) {
  const std::size_t chunk = list_.chunk_size();
  while (!data.empty()) {
    if (next_chunk_ >= list_.count())
      return fail(Code::TooLarge, "{}: more than the {} bytes the chunk list covers", what_,
                  list_.image_length());
    const std::size_t want = static_cast<std::size_t>(list_.chunk_length(next_chunk_));
    if (pending_.empty() && data.size() >= want && want == chunk) {
      // Whole chunks straight from the caller's buffer: no copy.
      RATCHET_TRY(pass_chunk(data.first(chunk)));
      data = data.subspan(chunk);
      continue;
    }
    const std::size_t take = std::min(data.size(), want - pending_.size());
    pending_.insert(pending_.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(take));
    data = data.subspan(take);
    if (pending_.size() == want) {
      RATCHET_TRY(pass_chunk(pending_));
      pending_.clear();
    }
  }
  return {};
}

Status ChunkGate::finish() {
  if (!pending_.empty() || next_chunk_ != list_.count())
    return fail(Code::LengthMismatch, "{}: stream ended after {} bytes, the image has {}", what_,
                verified_bytes() + pending_.size(), list_.image_length());
  return next_.finish();
}

}  // namespace ratchet::streaming
