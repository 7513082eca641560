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

// A first pass over the text that builds nothing: rejects duplicate keys (how two parsers are
// made to see two documents under one signature), non-integer numbers and deep nesting. (A DOM
// parser callback would do the same in quadratic time: nlohmann rescans each object it closes.)
class Screen final : public nlohmann::json_sax<Json> {
 public:
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override {
    return refuse("a non-integer number");
  }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return refuse("binary data"); }
  bool start_object(std::size_t) override {
    keys_.emplace_back();
    return deeper();
  }
  bool key(string_t& k) override {
    if (!keys_.back().insert(k).second) return refuse(fmt::format("duplicate key \"{}\"", k));
    return true;
  }
  bool end_object() override {
    keys_.pop_back();
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override { return deeper(); }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& e) override {
    return refuse(fmt::format("not valid JSON at byte {}: {}", position, e.what()));
  }
  [[nodiscard]] const std::string& problem() const { return problem_; }

 private:
  bool deeper() {
    if (++depth_ > kMaxDepth) return refuse(fmt::format("nested deeper than {}", kMaxDepth));
    return true;
  }
  bool refuse(std::string why) {
    if (problem_.empty()) problem_ = std::move(why);
    return false;
  }
  std::vector<std::set<std::string>> keys_;
  int depth_ = 0;
  std::string problem_;
};

}  // namespace

Result<Json> parse_json(std::string_view text, std::string_view what, std::size_t max_bytes) {
  if (text.size() > max_bytes)
    return fail(Code::TooLarge, "{}: {} bytes, more than the limit of {}", what, text.size(),
                max_bytes);
  Screen screen;
  if (!Json::sax_parse(text.begin(), text.end(), &screen, nlohmann::detail::input_format_t::json,
                       /*strict=*/true, /*ignore_comments=*/false))
    return fail(Code::BadMetadata, "{}: {}", what,
                screen.problem().empty() ? std::string("not valid JSON") : screen.problem());
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::exception& e) {
    return fail(Code::BadMetadata, "{}: not valid JSON: {}", what, e.what());
  }
}

Result<std::string> canonical_json(const Json& value) {
  std::string out;
  RATCHET_TRY(encode(value, out, 0));
  return out;
}

}  // namespace ratchet::tuf
