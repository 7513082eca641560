// TufRepository::save / load: a repository kept on disk between runs of ratchet-repo.
//
//   DIR/state.json      {"format": 1, "consistent_snapshot", "dialect", "published",
//                        "signed": {role: part},
//                        "keys": {role: [keyid]}, "parents": {role: parent},
//                        "targets": {name: {"file": path relative to DIR, "sha256"} |
//                                          {"content": base64}},
//                        "roots": {version: signed bytes}, "root_keys": {version: [keyid]},
//                        "finalized_root": part, "published_signed": {role: part}}
//   DIR/keys/<keyid>.pem  each private key once, mode 0600
#include <set>

#include "repo/tuf_repository.hpp"
#include "common/file.hpp"

namespace ratchet::tuf {
namespace {

constexpr std::uint64_t kFormat = 1;
constexpr std::uint64_t kMaxState = 64u << 20;
constexpr std::uint64_t kMaxPem = 64u << 10;

Json keyids(const std::vector<PrivateKey>& keys) {
  Json ids = Json::array();
  for (const auto& k : keys)
    ids.push_back(k.public_key().key_id());
  return ids;
}

// The keys named in `ids`, read from DIR/keys (each once, cached in `loaded`).
Result<std::vector<PrivateKey>> keys_from(const Json& ids, const std::filesystem::path& dir,
                                          std::map<std::string, PrivateKey>& loaded,
                                          std::string_view what) {
  if (!ids.is_array()) return fail(Code::BadConfig, "{}: not a list of key IDs", what);
  std::vector<PrivateKey> out;
  for (const auto& id : ids) {
    if (!id.is_string()) return fail(Code::BadConfig, "{}: a key ID is not a string", what);
    const std::string keyid = id.get<std::string>();
    if (keyid.empty() || keyid.find_first_of("/.") != std::string::npos)
      return fail(Code::BadConfig, "{}: bad key ID '{}'", what, keyid);
    auto it = loaded.find(keyid);
    if (it == loaded.end()) {
      const auto path = dir / "keys" / (keyid + ".pem");
      const std::string pem = RATCHET_TRY_CTX(read_file(path, kMaxPem), path.string());
      auto key = RATCHET_TRY_CTX(PrivateKey::from_pem(pem), path.string());
      if (key.public_key().key_id() != keyid)
        return fail(Code::BadKey, "{}: holds key {}, not {}", path.string(),
                    key.public_key().key_id(), keyid);
      it = loaded.emplace(keyid, std::move(key)).first;
    }
    out.push_back(it->second);
  }
  return out;
}

Result<std::uint64_t> version_key(const std::string& text, std::string_view what) {
  std::uint64_t v = 0;
  for (const char c : text) {
    if (c < '0' || c > '9' || v > UINT64_MAX / 10 - 9)
      return fail(Code::BadConfig, "{}: '{}' is not a version", what, text);
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (text.empty() || v == 0) return fail(Code::BadConfig, "{}: '{}' is not a version", what, text);
  return v;
}

}  // namespace

Status TufRepository::save(const std::filesystem::path& dir) const {
  std::error_code ec;
  std::filesystem::create_directories(dir / "keys", ec);
  if (ec) return fail(errno_error(ec.value(), (dir / "keys").string()));
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
  std::filesystem::permissions(dir / "keys", std::filesystem::perms::owner_all, ec);

  Json state{{"format", kFormat},
             {"consistent_snapshot", consistent_},
             {"dialect", dialect_name(dialect_)},
             {"published", published_},
             {"signed", Json(signed_)},
             {"parents", Json(parents_)},
             {"finalized_root", finalized_root_},
             {"published_signed", Json(published_signed_)}};
  std::set<std::string> written;
  const auto save_keys = [&](const std::vector<PrivateKey>& keys) -> Status {
    for (const auto& k : keys) {
      if (!written.insert(k.public_key().key_id()).second) continue;
      const std::string pem = RATCHET_TRY(k.to_pem());
      RATCHET_TRY(write_file_atomic(dir / "keys" / (k.public_key().key_id() + ".pem"), pem, 0600));
    }
    return {};
  };
  state["keys"] = Json::object();
  for (const auto& [role, keys] : keys_) {
    state["keys"][role] = keyids(keys);
    RATCHET_TRY(save_keys(keys));
  }
  state["roots"] = Json::object();
  for (const auto& [v, bytes] : roots_)
    state["roots"][std::to_string(v)] = bytes;
  state["root_keys"] = Json::object();
  for (const auto& [v, keys] : root_keys_) {
    state["root_keys"][std::to_string(v)] = keyids(keys);
    RATCHET_TRY(save_keys(keys));
  }
  state["targets"] = Json::object();
  for (const auto& [name, content] : target_files_) {
    if (content.file.empty()) {
      const auto bytes = std::as_bytes(std::span(content.bytes.data(), content.bytes.size()));
      state["targets"][name] = Json{{"content", base64_encode(bytes)}};
    } else {
      const auto abs = std::filesystem::absolute(content.file, ec);
      state["targets"][name] =
          Json{{"file", std::filesystem::proximate(abs, std::filesystem::absolute(dir, ec), ec)},
               {"sha256", content.sha256},
               {"scratch", content.scratch}};
    }
  }
  return write_file_atomic(dir / "state.json", state.dump(1), 0600);
}

Result<TufRepository> TufRepository::load(const std::filesystem::path& dir) {
  const auto path = dir / "state.json";
  const std::string what = path.string();
  const std::string text = RATCHET_TRY(read_file(path, kMaxState));
  const Json state = RATCHET_TRY(parse_json(text, what, kMaxState));
  try {
    if (!state.is_object() || state.value("format", Json()) != kFormat)
      return fail(Code::BadConfig, "{}: not a ratchet-repo state of format {}", what, kFormat);
    TufRepository r;
    r.consistent_ = state.at("consistent_snapshot").get<bool>();
    r.published_ = state.at("published").get<bool>();
    // Absent in states written before dialects: TUF 1.0, which is what those wrote.
    r.dialect_ = RATCHET_TRY(parse_dialect(state.value("dialect", std::string("tuf"))));
    r.signed_ = state.at("signed").get<std::map<std::string, Json>>();
    r.parents_ = state.at("parents").get<std::map<std::string, std::string>>();
    r.finalized_root_ = state.at("finalized_root");
    r.published_signed_ = state.at("published_signed").get<std::map<std::string, Json>>();
    const bool full = r.signed_.contains("timestamp") || r.signed_.contains("snapshot");
    for (const char* role : {"root", "timestamp", "snapshot", "targets"})
      if ((full || std::string_view(role) == "root" || std::string_view(role) == "targets") &&
          !r.signed_.contains(role))
        return fail(Code::BadConfig, "{}: signed.{} is missing", what, role);
    std::map<std::string, PrivateKey> loaded;
    for (const auto& [role, ids] : state.at("keys").items())
      r.keys_[role] =
          RATCHET_TRY(keys_from(ids, dir, loaded, fmt::format("{} keys.{}", what, role)));
    for (const auto& [v, bytes] : state.at("roots").items())
      r.roots_[RATCHET_TRY(version_key(v, fmt::format("{} roots", what)))] =
          bytes.get<std::string>();
    for (const auto& [v, ids] : state.at("root_keys").items())
      r.root_keys_[RATCHET_TRY(version_key(v, fmt::format("{} root_keys", what)))] =
          RATCHET_TRY(keys_from(ids, dir, loaded, fmt::format("{} root_keys.{}", what, v)));
    if (r.roots_.empty()) return fail(Code::BadConfig, "{}: no signed root", what);
    for (const auto& [name, t] : state.at("targets").items()) {
      TargetContent content;
      if (t.contains("content")) {
        const auto bytes = RATCHET_TRY_CTX(base64_decode(t.at("content").get<std::string>()),
                                           fmt::format("{} targets.{}", what, name));
        content.bytes.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      } else {
        const std::filesystem::path file(t.at("file").get<std::string>());
        content.file = file.is_absolute() ? file : dir / file;
        content.sha256 = t.at("sha256").get<std::string>();
        content.scratch = t.value("scratch", false);
      }
      r.target_files_[name] = std::move(content);
    }
    return r;
  } catch (const Json::exception& e) {
    return fail(Code::BadConfig, "{}: {}", what, e.what());
  }
}

}  // namespace ratchet::tuf
