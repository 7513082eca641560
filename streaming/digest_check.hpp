// Stage: bounds the length of a stream and checks its digests, passing the bytes on unchanged.
// The bound is enforced on every write (endless data never gets past it); the digests are
// compared, in constant time, before the next stage is told the stream is finished.
#pragma once

#include <cstdint>
#include <string>

#include "streaming/hasher.hpp"
#include "streaming/sink.hpp"

namespace ratchet::streaming {

class DigestCheck final : public Sink {
 public:
  // `what` names the stream in errors ("payload rootfs-v2.img.zst"). With exact_length false,
  // `expected_length` is only an upper bound (a payload whose length is not known beforehand).
  DigestCheck(Sink& next, std::string what, std::uint64_t expected_length, ExpectedDigests expected,
              bool exact_length = true);

  [[nodiscard]] Status write(std::span<const std::byte> data) override;
  [[nodiscard]] Status finish() override;
  [[nodiscard]] std::span<std::byte> write_buffer() override { return next_.write_buffer(); }

  [[nodiscard]] std::uint64_t bytes() const noexcept { return seen_; }

  // Resume support: the hashing state after `bytes()` bytes, and its inverse.
  [[nodiscard]] std::string save() const;
  [[nodiscard]] Status restore(std::uint64_t bytes_seen, std::string_view saved);

 private:
  Sink& next_;
  std::string what_;
  std::uint64_t expected_length_;
  ExpectedDigests expected_;
  bool exact_length_;
  std::uint64_t seen_ = 0;
  std::optional<Hasher> sha256_;
  std::optional<Hasher> sha512_;
};

}  // namespace ratchet::streaming
