// Comparison of secrets and digests in time independent of where they differ.
#pragma once

#include <cstddef>
#include <span>

namespace ratchet {

// True when a and b have the same length and bytes. The length is not secret; the contents are
// compared with CRYPTO_memcmp so no early exit leaks the position of the first difference.
[[nodiscard]] bool constant_time_equal(std::span<const std::byte> a,
                                       std::span<const std::byte> b) noexcept;

}  // namespace ratchet
