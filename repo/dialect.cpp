#include "repo/dialect.hpp"

#include "common/hex.hpp"
#include "streaming/hasher.hpp"

namespace ratchet::tuf {
namespace {

std::string capitalised(std::string type) {
  if (!type.empty() && type.front() >= 'a' && type.front() <= 'z')
    type.front() = static_cast<char>(type.front() - 'a' + 'A');
  return type;
}

// Rewrites a {keyid: key} object and the keyids lists of `roles` (an object of role objects, or
// an array of delegated roles) with the dialect's key IDs.
void rewrite_keys(Dialect d, Json& holder, const std::map<std::string, PublicKey>& keys) {
  const auto id_of = [&](const std::string& tuf_id) {
    const auto it = keys.find(tuf_id);
    return it == keys.end() ? tuf_id : key_id_in(d, it->second);
  };
  if (holder.contains("keys") && holder["keys"].is_object()) {
    Json out = Json::object();
    for (const auto& [id, key] : holder["keys"].items()) {
      const auto it = keys.find(id);
      if (it == keys.end())
        out[id] = key;
      else
        out[key_id_in(d, it->second)] = key_in(d, it->second);
    }
    holder["keys"] = std::move(out);
  }
  if (!holder.contains("roles")) return;
  for (auto& role : holder["roles"]) {
    if (!role.is_object() || !role.contains("keyids") || !role["keyids"].is_array()) continue;
    for (auto& id : role["keyids"])
      if (id.is_string()) id = id_of(id.get<std::string>());
  }
}

}  // namespace

std::string_view dialect_name(Dialect d) noexcept {
  return d == Dialect::Tuf ? "tuf" : "aktualizr";
}

Result<Dialect> parse_dialect(std::string_view name) {
  if (name == "tuf") return Dialect::Tuf;
  if (name == "aktualizr") return Dialect::Aktualizr;
  return fail(Code::InvalidArgument, "unknown metadata dialect '{}' (tuf or aktualizr)", name);
}

Json key_in(Dialect d, const PublicKey& key) {
  Json tuf = key.to_json();
  if (d == Dialect::Tuf) return tuf;
  const char* type = key.type() == KeyType::Ed25519 ? "ED25519"
                     : key.type() == KeyType::Rsa   ? "RSA"
                                                    : "ECDSA";
  return Json{{"keytype", type}, {"keyval", Json{{"public", tuf["keyval"]["public"]}}}};
}

std::string key_id_in(Dialect d, const PublicKey& key) {
  if (d == Dialect::Tuf) return key.key_id();
  // aktualizr's: the SHA-256 of the canonical JSON string of keyval.public, trailing newlines
  // trimmed (a PEM's last one).
  std::string pub = key.to_json()["keyval"]["public"].get<std::string>();
  while (!pub.empty() && pub.back() == '\n')
    pub.pop_back();
  const std::string canon = canonical_json(Json(pub)).value();
  return to_hex(streaming::digest_of(streaming::HashAlgorithm::Sha256,
                                     std::as_bytes(std::span(canon.data(), canon.size()))));
}

Json signed_in(Dialect d, const Json& part, const std::map<std::string, PublicKey>& keys) {
  if (d == Dialect::Tuf) return part;
  Json out = part;
  if (out.contains("_type") && out["_type"].is_string())
    out["_type"] = capitalised(out["_type"].get<std::string>());
  out.erase("spec_version");
  if (out.value("_type", "") == "Root") rewrite_keys(d, out, keys);
  if (out.contains("delegations") && out["delegations"].is_object())
    rewrite_keys(d, out["delegations"], keys);
  return out;
}

Json signature_in(Dialect d, const PublicKey& key, std::span<const std::byte> signature) {
  if (d == Dialect::Tuf) return Json{{"keyid", key.key_id()}, {"sig", to_hex(signature)}};
  return Json{{"keyid", key_id_in(d, key)},
              {"method", std::string(key.scheme())},
              {"sig", base64_encode(signature)}};
}

}  // namespace ratchet::tuf
