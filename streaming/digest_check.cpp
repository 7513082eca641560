#include "streaming/digest_check.hpp"

#include "common/constant_time.hpp"
#include "common/hex.hpp"

namespace ratchet::streaming {

DigestCheck::DigestCheck(Sink& next, std::string what, std::uint64_t expected_length,
                         ExpectedDigests expected, bool exact_length)
    : next_(next),
      what_(std::move(what)),
      expected_length_(expected_length),
      expected_(std::move(expected)),
      exact_length_(exact_length) {
  if (expected_.sha256) sha256_.emplace(HashAlgorithm::Sha256);
  if (expected_.sha512) sha512_.emplace(HashAlgorithm::Sha512);
}

Status DigestCheck::write(std::span<const std::byte> data) {
  if (data.size() > expected_length_ - seen_)
    return fail(Code::TooLarge, "{}: more than the expected {} bytes", what_, expected_length_);
  seen_ += data.size();
  if (sha256_) sha256_->update(data);
  if (sha512_) sha512_->update(data);
  return next_.write(data);
}

Status DigestCheck::finish() {
  if (exact_length_ && seen_ != expected_length_)
    return fail(Code::LengthMismatch, "{}: {} bytes, expected {}", what_, seen_, expected_length_);
  const auto check = [&](std::optional<Hasher>& h, const std::vector<std::byte>& want) -> Status {
    const auto got = h->finish();
    if (!constant_time_equal(got, want))
      return fail(Code::HashMismatch, "{}: {} is {}, expected {}", what_, hash_name(h->algorithm()),
                  to_hex(got), to_hex(want));
    return {};
  };
  if (sha256_) RATCHET_TRY(check(sha256_, *expected_.sha256));
  if (sha512_) RATCHET_TRY(check(sha512_, *expected_.sha512));
  return next_.finish();
}

std::string DigestCheck::save() const {
  std::string out;
  if (sha256_) out += sha256_->save();
  if (sha512_) out += sha512_->save();
  return out;
}

Status DigestCheck::restore(std::uint64_t bytes_seen, std::string_view saved) {
  if (bytes_seen > expected_length_)
    return fail(Code::BadConfig, "{}: checkpoint beyond the end", what_);
  if (sha256_) {
    const std::size_t n = sha256_->save().size();
    if (saved.size() < n) return fail(Code::BadConfig, "{}: checkpoint too short", what_);
    sha256_ = RATCHET_TRY(Hasher::restore(HashAlgorithm::Sha256, saved.substr(0, n)));
    saved.remove_prefix(n);
  }
  if (sha512_)
    sha512_ = RATCHET_TRY(Hasher::restore(HashAlgorithm::Sha512, saved));
  else if (!saved.empty())
    return fail(Code::BadConfig, "{}: checkpoint too long", what_);
  seen_ = bytes_seen;
  return {};
}

}  // namespace ratchet::streaming
