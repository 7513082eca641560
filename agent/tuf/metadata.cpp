#include "agent/tuf/metadata.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <set>

#include <fnmatch.h>

#include "common/constant_time.hpp"
#include "common/hex.hpp"

namespace ratchet::tuf {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Field access with errors that name the document and the field.
class Fields {
 public:
  Fields(const Json& obj, std::string_view what) : obj_(obj), what_(what) {}

  [[nodiscard]] Result<const Json*> get(std::string_view key, Json::value_t type,
                                        bool required = true) const {
    const auto it = obj_.find(key);
    if (it == obj_.end()) {
      if (required) return fail(Code::BadMetadata, "{}: missing field '{}'", what_, key);
      return static_cast<const Json*>(nullptr);
    }
    const bool ok = type == Json::value_t::number_unsigned
                        ? it->is_number_unsigned()
                        : (type == Json::value_t::number_integer ? it->is_number_integer()
                                                                 : it->type() == type);
    if (!ok) return fail(Code::BadMetadata, "{}: field '{}' has the wrong type", what_, key);
    return &*it;
  }
  [[nodiscard]] Result<std::string> str(std::string_view key) const {
    const Json* j = RATCHET_TRY(get(key, Json::value_t::string));
    return j->get<std::string>();
  }
  [[nodiscard]] Result<std::uint64_t> uint(std::string_view key, bool positive) const {
    const Json* j = RATCHET_TRY(get(key, Json::value_t::number_unsigned));
    const auto v = j->get<std::uint64_t>();
    if (positive && v == 0) return fail(Code::BadMetadata, "{}: '{}' must be positive", what_, key);
    return v;
  }

 private:
  const Json& obj_;
  std::string_view what_;
};

Result<Hashes> parse_hashes(const Json& j, std::string_view what) {
  if (!j.is_object() || j.empty())
    return fail(Code::BadMetadata, "{}: hashes must be a non-empty object", what);
  Hashes h;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it->is_string())
      return fail(Code::BadMetadata, "{}: hash '{}' is not a string", what, it.key());
    auto bytes = from_hex(it->get<std::string>());
    if (!bytes) return fail(Code::BadMetadata, "{}: hash '{}' is not hex", what, it.key());
    if (it.key() == "sha256" && bytes->size() == 32)
      h.sha256 = std::move(*bytes);
    else if (it.key() == "sha512" && bytes->size() == 64)
      h.sha512 = std::move(*bytes);
    else if (it.key() == "sha256" || it.key() == "sha512")
      return fail(Code::BadMetadata, "{}: {} has the wrong length", what, it.key());
  }
  return h;
}

Result<MetaFile> parse_meta_file(const Json& j, std::string_view what) {
  if (!j.is_object()) return fail(Code::BadMetadata, "{}: not an object", what);
  Fields f(j, what);
  MetaFile m;
  m.version = RATCHET_TRY(f.uint("version", true));
  if (const Json* len = RATCHET_TRY(f.get("length", Json::value_t::number_unsigned, false)))
    m.length = len->get<std::uint64_t>();
  if (const Json* h = RATCHET_TRY(f.get("hashes", Json::value_t::object, false)))
    m.hashes = RATCHET_TRY(parse_hashes(*h, what));
  return m;
}

Result<Common> parse_common(const Json& s, std::string_view expected_type, std::string_view what) {
  if (!s.is_object()) return fail(Code::BadMetadata, "{}: 'signed' is not an object", what);
  Fields f(s, what);
  Common c;
  const std::string raw_type = RATCHET_TRY(f.str("_type"));
  c.type = lower(raw_type);
  if (c.type != expected_type)
    return fail(Code::BadMetadata, "{}: _type is '{}', expected '{}'", what, raw_type,
                expected_type);
  // TUF 1.0 documents carry spec_version; aktualizr's (capitalised _type) do not.
  const bool tuf_dialect = raw_type == expected_type;
  if (const Json* sv = RATCHET_TRY(f.get("spec_version", Json::value_t::string, tuf_dialect))) {
    const auto v = sv->get<std::string>();
    if (!v.starts_with("1.") && v != "1")
      return fail(Code::BadMetadata, "{}: unsupported spec_version {}", what, v);
  }
  c.version = RATCHET_TRY(f.uint("version", true));
  c.expires = RATCHET_TRY(parse_time(RATCHET_TRY(f.str("expires"))));
  return c;
}

Result<RoleKeys> parse_role_keys(const Json& j, std::string_view what) {
  if (!j.is_object()) return fail(Code::BadMetadata, "{}: role is not an object", what);
  Fields f(j, what);
  RoleKeys r;
  const Json* ids = RATCHET_TRY(f.get("keyids", Json::value_t::array));
  std::set<std::string> seen;
  for (const auto& id : *ids) {
    if (!id.is_string()) return fail(Code::BadMetadata, "{}: keyids must be strings", what);
    if (!seen.insert(id.get<std::string>()).second)
      return fail(Code::BadMetadata, "{}: keyid {} listed twice", what, id.get<std::string>());
    r.keyids.push_back(id.get<std::string>());
  }
  const auto threshold = RATCHET_TRY(f.uint("threshold", true));
  if (threshold > 1024)
    return fail(Code::BadMetadata, "{}: threshold {} is absurd", what, threshold);
  r.threshold = static_cast<std::uint32_t>(threshold);
  return r;
}

// Keys that cannot be used (an unknown type or scheme) are left out: they simply cannot count
// towards a threshold, as in python-tuf. A malformed key object is an error.
Result<KeyMap> parse_keys(const Json& j, std::string_view what) {
  if (!j.is_object()) return fail(Code::BadMetadata, "{}: keys is not an object", what);
  KeyMap keys;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const Json& k = it.value();
    if (!k.is_object() || !k.contains("keytype") || !k.contains("keyval") ||
        !k["keyval"].is_object())
      return fail(Code::BadMetadata, "{}: key {} is malformed", what, it.key());
    auto key = PublicKey::from_json(k, fmt::format("{} key {}", what, it.key()));
    if (key) keys.emplace(it.key(), std::move(*key));
  }
  return keys;
}

}  // namespace

Result<Seconds> parse_time(std::string_view text) {
  std::tm tm{};
  char z = 0;
  int consumed = 0;
  const std::string s(text);
  if (s.size() != 20 ||
      std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z, &consumed) != 7 ||
      z != 'Z' || consumed != 20 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
      tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
    return fail(Code::BadMetadata, "expires '{}' is not YYYY-MM-DDTHH:MM:SSZ", text);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<Seconds>(::timegm(&tm));
}

std::string format_time(Seconds t) {
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  char buf[32];
  (void)std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<Envelope> parse_envelope(std::string raw, std::string_view what, std::size_t max_bytes) {
  Json doc = RATCHET_TRY(parse_json(raw, what, max_bytes));
  if (!doc.is_object() || !doc.contains("signed") || !doc.contains("signatures") ||
      !doc["signatures"].is_array())
    return fail(Code::BadMetadata, "{}: needs 'signed' and a 'signatures' list", what);
  Envelope e;
  e.signed_part = std::move(doc["signed"]);
  e.canonical = RATCHET_TRY_CTX(canonical_json(e.signed_part), what);
  for (const auto& s : doc["signatures"]) {
    if (!s.is_object() || !s.contains("keyid") || !s["keyid"].is_string() || !s.contains("sig") ||
        !s["sig"].is_string())
      return fail(Code::BadMetadata, "{}: a signature needs keyid and sig", what);
    Signature sig;
    sig.keyid = s["keyid"].get<std::string>();
    // Two signatures under one key ID: python-tuf refuses the document, and so do we.
    for (const auto& seen : e.signatures)
      if (seen.keyid == sig.keyid)
        return fail(Code::BadMetadata, "{}: more than one signature by key {}", what, sig.keyid);
    const auto& text = s["sig"].get_ref<const std::string&>();
    // aktualizr's dialect names the method and encodes the signature in base64.
    auto value = s.contains("method") ? base64_decode(text) : from_hex(text);
    if (!value)
      return fail(Code::BadMetadata, "{}: signature by {} is not encoded right", what, sig.keyid);
    sig.value = std::move(*value);
    e.signatures.push_back(std::move(sig));
  }
  e.raw = std::move(raw);
  return e;
}

Status verify_role(const Envelope& doc, const KeyMap& keys, const RoleKeys& role,
                   std::string_view what) {
  // One key counts once, by what it is: the same public key listed under two key IDs (another
  // scheme spelling, hex case, PEM layout) is still one signer.
  std::set<std::string> valid;
  bool bad_signature = false;
  const auto message = std::as_bytes(std::span(doc.canonical.data(), doc.canonical.size()));
  for (const auto& sig : doc.signatures) {
    if (std::find(role.keyids.begin(), role.keyids.end(), sig.keyid) == role.keyids.end()) continue;
    const auto key = keys.find(sig.keyid);
    if (key == keys.end()) continue;
    if (valid.contains(key->second.material())) continue;
    if (key->second.verify(message, sig.value)) {
      valid.insert(key->second.material());
    } else {
      bad_signature = true;
    }
  }
  if (valid.size() >= role.threshold) return {};
  return fail(bad_signature ? Code::BadSignature : Code::ThresholdNotMet,
              "{}: {} of {} required signatures valid{}", what, valid.size(), role.threshold,
              bad_signature ? " (a role key's signature does not verify)" : "");
}

Result<Root> parse_root(const Envelope& doc, std::string_view what) {
  Root r;
  static_cast<Common&>(r) = RATCHET_TRY(parse_common(doc.signed_part, "root", what));
  Fields f(doc.signed_part, what);
  r.keys = RATCHET_TRY(parse_keys(*RATCHET_TRY(f.get("keys", Json::value_t::object)), what));
  const Json* roles = RATCHET_TRY(f.get("roles", Json::value_t::object));
  if (roles->size() != 4 && roles->size() != 2)
    return fail(Code::BadMetadata,
                "{}: roles must be exactly root, timestamp, snapshot, targets (or root, targets)",
                what);
  const std::vector<const char*> names =
      roles->size() == 4 ? std::vector<const char*>{"root", "timestamp", "snapshot", "targets"}
                         : std::vector<const char*>{"root", "targets"};
  for (const char* name : names) {
    const auto it = roles->find(name);
    if (it == roles->end()) return fail(Code::BadMetadata, "{}: no '{}' role", what, name);
    r.roles[name] = RATCHET_TRY(parse_role_keys(*it, fmt::format("{} role {}", what, name)));
  }
  if (const Json* cs = RATCHET_TRY(f.get("consistent_snapshot", Json::value_t::boolean, false)))
    r.consistent_snapshot = cs->get<bool>();
  return r;
}

std::string_view layout_name(Layout layout) noexcept {
  return layout == Layout::Full ? "full TUF (root, timestamp, snapshot, targets)"
                                : "targets-only (root, targets)";
}

Result<Timestamp> parse_timestamp(const Envelope& doc, std::string_view what) {
  Timestamp t;
  static_cast<Common&>(t) = RATCHET_TRY(parse_common(doc.signed_part, "timestamp", what));
  Fields f(doc.signed_part, what);
  const Json* meta = RATCHET_TRY(f.get("meta", Json::value_t::object));
  const auto it = meta->find("snapshot.json");
  if (it == meta->end() || meta->size() != 1)
    return fail(Code::BadMetadata, "{}: meta must list exactly snapshot.json", what);
  t.snapshot = RATCHET_TRY(parse_meta_file(*it, fmt::format("{} snapshot.json", what)));
  return t;
}

Result<Snapshot> parse_snapshot(const Envelope& doc, std::string_view what) {
  Snapshot s;
  static_cast<Common&>(s) = RATCHET_TRY(parse_common(doc.signed_part, "snapshot", what));
  Fields f(doc.signed_part, what);
  const Json* meta = RATCHET_TRY(f.get("meta", Json::value_t::object));
  for (auto it = meta->begin(); it != meta->end(); ++it)
    s.meta[it.key()] = RATCHET_TRY(parse_meta_file(*it, fmt::format("{} {}", what, it.key())));
  if (!s.meta.contains("targets.json"))
    return fail(Code::BadMetadata, "{}: meta does not list targets.json", what);
  return s;
}

Result<Targets> parse_targets(const Envelope& doc, std::string_view what) {
  Targets t;
  static_cast<Common&>(t) = RATCHET_TRY(parse_common(doc.signed_part, "targets", what));
  Fields f(doc.signed_part, what);
  const Json* targets = RATCHET_TRY(f.get("targets", Json::value_t::object));
  for (auto it = targets->begin(); it != targets->end(); ++it) {
    const std::string where = fmt::format("{} target {}", what, it.key());
    if (!it->is_object()) return fail(Code::BadMetadata, "{}: not an object", where);
    Fields tf(*it, where);
    TargetFile file;
    file.length = RATCHET_TRY(tf.uint("length", false));
    // A target with only unknown hash algorithms is kept: it fails when someone asks for it.
    file.hashes =
        RATCHET_TRY(parse_hashes(*RATCHET_TRY(tf.get("hashes", Json::value_t::object)), where));
    if (const auto c = it->find("custom"); c != it->end()) file.custom = *c;
    t.targets.emplace(it.key(), std::move(file));
  }
  if (const Json* d = RATCHET_TRY(f.get("delegations", Json::value_t::object, false))) {
    Delegations del;
    Fields df(*d, what);
    del.keys = RATCHET_TRY(parse_keys(*RATCHET_TRY(df.get("keys", Json::value_t::object)), what));
    const Json* succinct = RATCHET_TRY(df.get("succinct_roles", Json::value_t::object, false));
    const Json* role_list = RATCHET_TRY(df.get("roles", Json::value_t::array, false));
    if ((succinct == nullptr) == (role_list == nullptr))
      return fail(Code::BadMetadata, "{}: delegations need exactly one of roles and succinct_roles",
                  what);
    if (succinct != nullptr) {
      Fields sf(*succinct, what);
      SuccinctRoles sr;
      sr.keys = RATCHET_TRY(parse_role_keys(*succinct, fmt::format("{} succinct_roles", what)));
      const auto bits = RATCHET_TRY(sf.uint("bit_length", true));
      if (bits > 32)
        return fail(Code::BadMetadata, "{}: bit_length {} is out of range", what, bits);
      sr.bit_length = static_cast<unsigned>(bits);
      sr.name_prefix = RATCHET_TRY(sf.str("name_prefix"));
      del.succinct = std::move(sr);
      t.delegations = std::move(del);
      return t;
    }
    std::set<std::string> names;
    for (const auto& role : *role_list) {
      if (!role.is_object())
        return fail(Code::BadMetadata, "{}: delegated role is not an object", what);
      Fields rf(role, what);
      DelegatedRole dr;
      dr.name = RATCHET_TRY(rf.str("name"));
      const std::string where = fmt::format("{} delegation {}", what, dr.name);
      if (!names.insert(dr.name).second) return fail(Code::BadMetadata, "{}: listed twice", where);
      if (dr.name == "root" || dr.name == "timestamp" || dr.name == "snapshot" ||
          dr.name == "targets")
        return fail(Code::BadMetadata, "{}: a delegation cannot take a top-level role's name",
                    where);
      dr.keys = RATCHET_TRY(parse_role_keys(role, where));
      if (const Json* term = RATCHET_TRY(rf.get("terminating", Json::value_t::boolean, false)))
        dr.terminating = term->get<bool>();
      const Json* paths = RATCHET_TRY(rf.get("paths", Json::value_t::array, false));
      const Json* prefixes = RATCHET_TRY(rf.get("path_hash_prefixes", Json::value_t::array, false));
      if ((paths == nullptr) == (prefixes == nullptr))
        return fail(Code::BadMetadata, "{}: needs exactly one of paths and path_hash_prefixes",
                    where);
      auto strings = [&](const Json* list) -> Result<std::vector<std::string>> {
        std::vector<std::string> out;
        for (const auto& p : *list) {
          if (!p.is_string())
            return fail(Code::BadMetadata, "{}: path entries must be strings", where);
          out.push_back(p.get<std::string>());
        }
        return out;
      };
      if (paths != nullptr)
        dr.paths = RATCHET_TRY(strings(paths));
      else
        dr.path_hash_prefixes = RATCHET_TRY(strings(prefixes));
      del.roles.push_back(std::move(dr));
    }
    t.delegations = std::move(del);
  }
  return t;
}

Status check_meta_file(std::string_view bytes, const MetaFile& expected, std::string_view what) {
  if (expected.length && bytes.size() != *expected.length)
    return fail(Code::LengthMismatch, "{}: {} bytes, snapshot/timestamp lists {}", what,
                bytes.size(), *expected.length);
  const auto data = std::as_bytes(std::span(bytes.data(), bytes.size()));
  if (expected.hashes.sha256 &&
      !constant_time_equal(streaming::digest_of(streaming::HashAlgorithm::Sha256, data),
                           *expected.hashes.sha256))
    return fail(Code::HashMismatch, "{}: sha256 differs from the one listed", what);
  if (expected.hashes.sha512 &&
      !constant_time_equal(streaming::digest_of(streaming::HashAlgorithm::Sha512, data),
                           *expected.hashes.sha512))
    return fail(Code::HashMismatch, "{}: sha512 differs from the one listed", what);
  return {};
}

bool path_matches(std::string_view pattern, std::string_view target) {
  const std::string p(pattern);
  const std::string t(target);
  return ::fnmatch(p.c_str(), t.c_str(), FNM_PATHNAME) == 0;
}

std::string SuccinctRoles::role_for(std::string_view target) const {
  const auto digest = streaming::digest_of(streaming::HashAlgorithm::Sha256,
                                           std::as_bytes(std::span(target.data(), target.size())));
  std::uint32_t top = 0;
  for (int i = 0; i < 4; ++i)
    top = (top << 8) | static_cast<std::uint32_t>(digest[static_cast<std::size_t>(i)]);
  const std::uint64_t bin = bit_length == 0 ? 0 : (top >> (32 - bit_length));
  const std::uint64_t bins = std::uint64_t{1} << bit_length;
  const std::size_t width = fmt::format("{:x}", bins - 1).size();
  return fmt::format("{}-{:0{}x}", name_prefix, bin, width);
}

bool SuccinctRoles::is_bin(std::string_view role) const {
  const std::string prefix = name_prefix + "-";
  if (!role.starts_with(prefix)) return false;
  const std::string_view suffix = role.substr(prefix.size());
  const std::uint64_t bins = std::uint64_t{1} << bit_length;
  const std::size_t width = fmt::format("{:x}", bins - 1).size();
  if (suffix.size() != width) return false;
  std::uint64_t value = 0;
  for (char c : suffix) {
    const int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (d < 0) return false;
    value = value * 16 + static_cast<std::uint64_t>(d);
  }
  return value < bins;
}

bool DelegatedRole::covers(std::string_view target) const {
  if (paths) {
    return std::any_of(paths->begin(), paths->end(),
                       [&](const std::string& p) { return path_matches(p, target); });
  }
  if (path_hash_prefixes) {
    const std::string digest = to_hex(streaming::digest_of(
        streaming::HashAlgorithm::Sha256, std::as_bytes(std::span(target.data(), target.size()))));
    return std::any_of(path_hash_prefixes->begin(), path_hash_prefixes->end(),
                       [&](const std::string& p) { return digest.starts_with(p); });
  }
  return false;
}

}  // namespace ratchet::tuf
