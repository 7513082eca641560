#include "repo/http_paths.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>

namespace ratchet::repo {
namespace {

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  std::uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc{} || ptr != s.data() + s.size()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<std::string> decode_request_path(std::string_view target) {
  target = target.substr(0, target.find_first_of("?#"));
  if (target.empty() || target.front() != '/') return std::nullopt;
  std::string out;
  out.reserve(target.size());
  for (std::size_t i = 0; i < target.size(); ++i) {
    if (target[i] != '%') {
      if (target[i] == '\0') return std::nullopt;
      out.push_back(target[i]);
      continue;
    }
    unsigned value = 0;
    if (i + 2 >= target.size()) return std::nullopt;
    const char* first = target.data() + i + 1;
    auto [ptr, ec] = std::from_chars(first, first + 2, value, 16);
    if (ec != std::errc{} || ptr != first + 2 || value == 0) return std::nullopt;
    out.push_back(static_cast<char>(value));
    i += 2;
  }
  std::size_t start = 0;
  while (start <= out.size()) {
    std::size_t end = out.find('/', start);
    if (end == std::string::npos) end = out.size();
    if (std::string_view(out).substr(start, end - start) == "..") return std::nullopt;
    start = end + 1;
  }
  return out;
}

RangeRequest parse_range(std::string_view header, std::uint64_t size) {
  using Kind = RangeRequest::Kind;
  constexpr std::string_view kPrefix = "bytes=";
  if (!header.starts_with(kPrefix)) return {};
  header.remove_prefix(kPrefix.size());
  const std::size_t dash = header.find('-');
  if (dash == std::string_view::npos || header.find(',') != std::string_view::npos) return {};
  const std::string_view a = header.substr(0, dash);
  const std::string_view b = header.substr(dash + 1);
  if (a.empty()) {  // suffix: the last N bytes
    const auto n = parse_u64(b);
    if (!n) return {};
    if (*n == 0 || size == 0) return {Kind::Unsatisfiable, {}};
    return {Kind::Part, {size - std::min(*n, size), size - 1}};
  }
  const auto first = parse_u64(a);
  if (!first) return {};
  std::uint64_t last = UINT64_MAX;
  if (!b.empty()) {
    const auto parsed = parse_u64(b);
    if (!parsed || *parsed < *first) return {};
    last = *parsed;
  }
  if (*first >= size) return {Kind::Unsatisfiable, {}};
  return {Kind::Part, {*first, std::min(last, size - 1)}};
}

bool target_matches(std::string_view target, std::string_view only_path) {
  target = target.substr(0, target.find_first_of("?#"));
  if (only_path.starts_with('/')) return target == only_path;
  return target.size() == only_path.size() + 1 && target.ends_with(only_path);
}

}  // namespace ratchet::repo
