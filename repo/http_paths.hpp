// The request parsing the repository server needs and nothing more: a request target's path
// (percent-decoded, never escaping the served tree) and a single byte range (RFC 9110 14.1).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ratchet::repo {

// The path part of a request target ("/image/1.root.json"), percent-decoded; nullopt when the
// target is not an origin-form path, holds a NUL, or has a ".." segment (before or after
// decoding). A query or fragment is dropped.
[[nodiscard]] std::optional<std::string> decode_request_path(std::string_view target);

struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // inclusive
};

struct RangeRequest {
  enum class Kind : std::uint8_t { Whole, Part, Unsatisfiable } kind = Kind::Whole;
  ByteRange range;
};

// One "bytes=A-B", "bytes=A-" or "bytes=-N" range of a `size`-byte file. Anything else (several
// ranges, other units, syntax errors) is ignored, as RFC 9110 allows: the whole file is served.
[[nodiscard]] RangeRequest parse_range(std::string_view header, std::uint64_t size);

// Whether request target `target` is `only_path` ("/a.bin", or "a.bin" for "/a.bin").
[[nodiscard]] bool target_matches(std::string_view target, std::string_view only_path);

}  // namespace ratchet::repo
