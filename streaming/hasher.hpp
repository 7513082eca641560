// Incremental SHA-256 / SHA-512 whose state can be saved and restored, so that an install resumed
// after a power cut continues the payload digest instead of starting the download over.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace ratchet::streaming {

enum class HashAlgorithm : std::uint8_t { Sha256, Sha512 };

[[nodiscard]] std::string_view hash_name(HashAlgorithm a) noexcept;
[[nodiscard]] std::size_t digest_size(HashAlgorithm a) noexcept;

class Hasher {
 public:
  explicit Hasher(HashAlgorithm algorithm);
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;
  ~Hasher();

  [[nodiscard]] HashAlgorithm algorithm() const noexcept { return algorithm_; }
  void update(std::span<const std::byte> data) noexcept;
  // The digest of everything so far; the hasher is spent afterwards (until reset()).
  [[nodiscard]] std::vector<std::byte> finish() noexcept;
  // The same into `out` (digest_size() bytes), without allocating: the per-chunk path.
  void finish_into(std::span<std::byte> out) noexcept;
  // Starts over, reusing the state.
  void reset() noexcept;

  // Opaque bytes that restore() turns back into an equivalent hasher (checkpoints).
  [[nodiscard]] std::string save() const;
  [[nodiscard]] static Result<Hasher> restore(HashAlgorithm algorithm, std::string_view saved);

 private:
  struct State;
  HashAlgorithm algorithm_;
  std::unique_ptr<State> state_;
};

// One-shot convenience.
[[nodiscard]] std::vector<std::byte> digest_of(HashAlgorithm algorithm,
                                               std::span<const std::byte> data);

// What a payload or image must hash to: at least one of the two.
struct ExpectedDigests {
  std::optional<std::vector<std::byte>> sha256;
  std::optional<std::vector<std::byte>> sha512;

  [[nodiscard]] bool empty() const noexcept { return !sha256 && !sha512; }
};

}  // namespace ratchet::streaming
