#include "agent/tuf/canonical_json.hpp"

#include <set>
#include <vector>

namespace ratchet::tuf {
namespace {

constexpr int kMaxDepth = 64;

void encode_string(const std::string& s, std::string& out) {
  out.push_back('"');
  for (const char c : s) {
    if (c == '\\' || c == '"') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

Status encode(const Json& v, std::string& out, int depth) {
  if (depth > kMaxDepth) return fail(Code::BadMetadata, "JSON nested deeper than {}", kMaxDepth);
  switch (v.type()) {
    case Json::value_t::null:
      out += "null";
      return {};
    case Json::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      return {};
    case Json::value_t::number_integer:
      out += std::to_string(v.get<std::int64_t>());
      return {};
    case Json::value_t::number_unsigned:
      out += std::to_string(v.get<std::uint64_t>());
      return {};
    case Json::value_t::string:
      encode_string(v.get_ref<const std::string&>(), out);
      return {};
    case Json::value_t::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& item : v) {
        if (!first) out.push_back(',');
        first = false;
        RATCHET_TRY(encode(item, out, depth + 1));
      }
      out.push_back(']');
      return {};
    }
    case Json::value_t::object: {
      // nlohmann keeps object keys in a std::map: sorted by bytes, which for UTF-8 is the
      // code-point order Python's sorted() uses.
      out.push_back('{');
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) out.push_back(',');
        first = false;
        encode_string(it.key(), out);
        out.push_back(':');
        RATCHET_TRY(encode(it.value(), out, depth + 1));
      }
      out.push_back('}');
      return {};
    }
    case Json::value_t::number_float:
      return fail(Code::BadMetadata, "a non-integer number cannot be canonicalised");
    case Json::value_t::binary:
    case Json::value_t::discarded:
      break;
  }
  return fail(Code::BadMetadata, "a value that cannot be canonicalised");
}

}  // namespace

Result<Json> parse_json(std::string_view text, std::string_view what, std::size_t max_bytes) {
  if (text.size() > max_bytes)
    return fail(Code::TooLarge, "{}: {} bytes, more than the limit of {}", what, text.size(),
                max_bytes);
  // Keys seen so far in each open object: a duplicate key is how two parsers are made to see
  // two different documents under one signature.
  std::vector<std::set<std::string>> keys;
  std::string problem;
  const Json::parser_callback_t check = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (!problem.empty()) return false;
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start:
        if (depth >= kMaxDepth) problem = fmt::format("nested deeper than {}", kMaxDepth);
        if (event == Json::parse_event_t::object_start) keys.emplace_back();
        break;
      case Json::parse_event_t::object_end:
        if (!keys.empty()) keys.pop_back();
        break;
      case Json::parse_event_t::key:
        if (!keys.empty() && !keys.back().insert(parsed.get<std::string>()).second)
          problem = fmt::format("duplicate key \"{}\"", parsed.get<std::string>());
        break;
      case Json::parse_event_t::value:
        if (parsed.is_number_float()) problem = "a non-integer number";
        break;
      default:
        break;
    }
    return problem.empty();
  };
  Json doc;
  try {
    doc = Json::parse(text.begin(), text.end(), check, /*allow_exceptions=*/true,
                      /*ignore_comments=*/false);
  } catch (const Json::exception& e) {
    return fail(Code::BadMetadata, "{}: not valid JSON: {}", what, e.what());
  }
  if (!problem.empty()) return fail(Code::BadMetadata, "{}: {}", what, problem);
  if (doc.is_discarded()) return fail(Code::BadMetadata, "{}: not valid JSON", what);
  return doc;
}

Result<std::string> canonical_json(const Json& value) {
  std::string out;
  RATCHET_TRY(encode(value, out, 0));
  return out;
}

}  // namespace ratchet::tuf
