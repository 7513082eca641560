// Lower-case hexadecimal, the encoding of digests in TUF metadata and on the command line.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace ratchet {

[[nodiscard]] std::string to_hex(std::span<const std::byte> bytes);

// Accepts upper or lower case; rejects odd lengths and non-hex characters (InvalidArgument).
[[nodiscard]] Result<std::vector<std::byte>> from_hex(std::string_view hex);

}  // namespace ratchet
