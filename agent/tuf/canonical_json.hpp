// JSON as TUF signs it: parsing that refuses what would make two parsers disagree, and the OLPC
// canonical form byte-identical to securesystemslib's encode_canonical (sorted keys, no
// whitespace, only `\` and `"` escaped, integers only).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/result.hpp"

namespace ratchet::tuf {

using Json = nlohmann::json;

// Parses a metadata document. Rejects (BadMetadata) anything over max_bytes, invalid UTF-8,
// duplicate keys at any depth, non-integer numbers and nesting deeper than 64.
[[nodiscard]] Result<Json> parse_json(std::string_view text, std::string_view what,
                                      std::size_t max_bytes = 16u << 20);

// The canonical form. BadMetadata for values it cannot encode (floats).
[[nodiscard]] Result<std::string> canonical_json(const Json& value);

}  // namespace ratchet::tuf
