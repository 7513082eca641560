#include "repo/tuf_repository.hpp"

#include <algorithm>
#include <set>

#include "repo/repo_files.hpp"
#include "agent/tuf/fetcher.hpp"
#include "common/file.hpp"
#include "common/hex.hpp"
#include "streaming/hasher.hpp"

namespace ratchet::tuf {
namespace {

constexpr Seconds kYear = 365LL * 24 * 3600;
const char* const kTopRoles[] = {"root", "timestamp", "snapshot", "targets"};

std::string sha256_hex(std::string_view s) {
  return to_hex(streaming::digest_of(streaming::HashAlgorithm::Sha256,
                                     std::as_bytes(std::span(s.data(), s.size()))));
}

Json meta_entry(std::uint64_t version, const std::string& bytes) {
  return Json{{"version", version},
              {"length", bytes.size()},
              {"hashes", Json{{"sha256", sha256_hex(bytes)}}}};
}

Json common(const char* type, Seconds expires) {
  return Json{{"_type", type},
              {"spec_version", "1.0.31"},
              {"version", 1},
              {"expires", format_time(expires)}};
}

}  // namespace

Result<TufRepository> TufRepository::create(Seconds now, KeyType type, bool consistent_snapshot,
                                            Layout layout) {
  TufRepository r;
  r.consistent_ = consistent_snapshot;
  const bool full = layout == Layout::Full;
  r.signed_["root"] = common("root", now + kYear);
  r.signed_["root"]["consistent_snapshot"] = consistent_snapshot;
  r.signed_["root"]["keys"] = Json::object();
  r.signed_["root"]["roles"] = Json::object();
  for (const char* role : kTopRoles) {
    if (!full && std::string_view(role) != "root" && std::string_view(role) != "targets") continue;
    r.keys_[role].push_back(RATCHET_TRY(PrivateKey::generate(type)));
    r.signed_["root"]["roles"][role] = Json{{"keyids", Json::array()}, {"threshold", 1}};
  }
  if (full) {
    r.signed_["timestamp"] = common("timestamp", now + kYear);
    r.signed_["timestamp"]["meta"] = Json::object();
    r.signed_["snapshot"] = common("snapshot", now + kYear);
    r.signed_["snapshot"]["meta"] = Json::object();
  }
  r.signed_["targets"] = common("targets", now + kYear);
  r.signed_["targets"]["targets"] = Json::object();
  RATCHET_TRY(r.refresh_root_keys());
  RATCHET_TRY(r.finalize_root());
  return r;
}

Status TufRepository::refresh_root_keys() {
  Json& root = signed_["root"];
  root["keys"] = Json::object();
  for (const char* role : kTopRoles) {
    if (!root["roles"].contains(role)) continue;  // a targets-only layout
    Json ids = Json::array();
    for (const auto& k : keys_[role]) {
      root["keys"][k.public_key().key_id()] = k.public_key().to_json();
      ids.push_back(k.public_key().key_id());
    }
    root["roles"][role]["keyids"] = ids;
  }
  return {};
}

Status TufRepository::add_key(const std::string& role, const PrivateKey& key) {
  keys_[role].push_back(key);
  if (parents_.contains(role)) {
    Json& d = signed_.at(parents_.at(role))["delegations"];
    d["keys"][key.public_key().key_id()] = key.public_key().to_json();
    for (auto& r : d["roles"])
      if (r["name"] == role) r["keyids"].push_back(key.public_key().key_id());
    return {};
  }
  return refresh_root_keys();
}

void TufRepository::remove_key(const std::string& role, const std::string& keyid) {
  auto& ks = keys_[role];
  ks.erase(std::remove_if(ks.begin(), ks.end(),
                          [&](const PrivateKey& k) { return k.public_key().key_id() == keyid; }),
           ks.end());
  (void)refresh_root_keys();
}

void TufRepository::set_threshold(const std::string& role, std::uint32_t threshold) {
  signed_["root"]["roles"][role]["threshold"] = threshold;
}

const std::vector<PrivateKey>& TufRepository::keys(const std::string& role) const {
  return keys_.at(role);
}

void TufRepository::add_target(const std::string& name, std::string content, Json custom,
                               const std::string& role) {
  Json entry{{"length", content.size()}, {"hashes", Json{{"sha256", sha256_hex(content)}}}};
  if (!custom.empty()) entry["custom"] = std::move(custom);
  signed_.at(role)["targets"][name] = std::move(entry);
  target_files_[name] = TargetContent{.bytes = std::move(content)};
}

Status TufRepository::add_target_file(const std::string& name, const std::filesystem::path& path,
                                      Json custom, const std::string& role, bool scratch) {
  if (!signed_.contains(role)) return fail(Code::InvalidArgument, "no targets role '{}'", role);
  const auto digest = RATCHET_TRY(repo::digest_file(path));
  Json entry{{"length", digest.length}, {"hashes", Json{{"sha256", digest.sha256}}}};
  if (!custom.empty()) entry["custom"] = std::move(custom);
  signed_.at(role)["targets"][name] = std::move(entry);
  target_files_[name] = TargetContent{.file = path, .sha256 = digest.sha256, .scratch = scratch};
  return {};
}

void TufRepository::set_target_entry(const std::string& name, Json entry, const std::string& role) {
  signed_.at(role)["targets"][name] = std::move(entry);
}

std::string TufRepository::role_of_target(const std::string& name) const {
  if (signed_.at("targets")["targets"].contains(name)) return "targets";
  for (const auto& [role, part] : signed_)
    if (parents_.contains(role) && part["targets"].contains(name)) return role;
  return {};
}

std::string TufRepository::parent_of(const std::string& role) const {
  const auto it = parents_.find(role);
  return it == parents_.end() ? std::string() : it->second;
}

Result<PrivateKey> TufRepository::add_delegation(const std::string& parent, const std::string& role,
                                                 std::vector<std::string> paths, bool terminating) {
  PrivateKey key = RATCHET_TRY(PrivateKey::generate(KeyType::Ed25519));
  Json& p = signed_.at(parent);
  if (!p.contains("delegations"))
    p["delegations"] = Json{{"keys", Json::object()}, {"roles", Json::array()}};
  p["delegations"]["keys"][key.public_key().key_id()] = key.public_key().to_json();
  p["delegations"]["roles"].push_back(Json{{"name", role},
                                           {"keyids", Json::array({key.public_key().key_id()})},
                                           {"threshold", 1},
                                           {"terminating", terminating},
                                           {"paths", paths}});
  signed_[role] =
      common("targets", parse_time(signed_.at(parent)["expires"].get<std::string>()).value());
  signed_[role]["targets"] = Json::object();
  keys_[role].push_back(key);
  parents_[role] = parent;
  return key;
}

void TufRepository::remove_delegation(const std::string& parent, const std::string& role) {
  Json& p = signed_.at(parent);
  if (p.contains("delegations")) {
    auto& roles = p["delegations"]["roles"];
    for (auto it = roles.begin(); it != roles.end(); ++it)
      if ((*it)["name"] == role) {
        roles.erase(it);
        break;
      }
    if (roles.empty()) p.erase("delegations");
  }
  signed_.erase(role);
  keys_.erase(role);
  parents_.erase(role);
  published_signed_.erase(role);
}

void TufRepository::set_expires(const std::string& role, Seconds expires) {
  signed_.at(role)["expires"] = format_time(expires);
}

void TufRepository::bump(const std::string& role) {
  Json& s = signed_.at(role);
  s["version"] = s["version"].get<std::uint64_t>() + 1;
}

std::uint64_t TufRepository::version(const std::string& role) const {
  return signed_.at(role)["version"].get<std::uint64_t>();
}

Result<std::string> TufRepository::sign(const std::string& role,
                                        const std::vector<const PrivateKey*>& signers) const {
  std::map<std::string, PublicKey> known;  // every key this repository has, by TUF key ID
  for (const auto& [r, ks] : keys_)
    for (const auto& k : ks)
      known.emplace(k.public_key().key_id(), k.public_key());
  for (const auto& [v, ks] : root_keys_)
    for (const auto& k : ks)
      known.emplace(k.public_key().key_id(), k.public_key());
  const Json part = signed_in(dialect_, signed_.at(role), known);
  const std::string canon = RATCHET_TRY(canonical_json(part));
  const auto message = std::as_bytes(std::span(canon.data(), canon.size()));
  std::vector<const PrivateKey*> by = signers;
  if (by.empty())
    for (const auto& k : keys_.at(role))
      by.push_back(&k);
  Json sigs = Json::array();
  for (const PrivateKey* k : by) {
    const auto sig = RATCHET_TRY(k->sign(message));
    sigs.push_back(signature_in(dialect_, k->public_key(), sig));
  }
  return Json{{"signatures", sigs}, {"signed", part}}.dump(1);
}

// A new root version is signed by the keys of the previous version and by its own.
Status TufRepository::finalize_root() {
  const std::uint64_t v = version("root");
  root_keys_[v] = keys_["root"];
  std::vector<const PrivateKey*> signers;
  std::set<std::string> ids;
  for (const auto& k : keys_["root"])
    if (ids.insert(k.public_key().key_id()).second) signers.push_back(&k);
  if (const auto prev = root_keys_.find(v - 1); prev != root_keys_.end())
    for (const auto& k : prev->second)
      if (ids.insert(k.public_key().key_id()).second) signers.push_back(&k);
  roots_[v] = RATCHET_TRY(sign("root", signers));
  finalized_root_ = signed_["root"];
  return {};
}

Status TufRepository::publish(const std::filesystem::path& dir) {
  RATCHET_TRY(refresh_root_keys());
  if (signed_["root"] != finalized_root_) RATCHET_TRY(finalize_root());
  // Targets roles first, then the snapshot listing them, then the timestamp listing that.
  Json meta = Json::object();
  std::map<std::string, std::string> docs;
  for (auto& [role, part] : signed_) {
    if (part["_type"] != "targets") continue;
    // Changed content gets a new version, unless the caller already set one.
    if (const auto prev = published_signed_.find(role); prev != published_signed_.end() &&
                                                        prev->second != part &&
                                                        prev->second["version"] == part["version"])
      bump(role);
    published_signed_[role] = part;
    docs[role] = RATCHET_TRY(sign(role));
    meta[role + ".json"] = Json{{"version", part["version"]}};
  }
  const bool full = layout() == Layout::Full;
  std::string snapshot, timestamp;
  if (full) {
    if (published_ && signed_["snapshot"]["meta"] != meta) bump("snapshot");
    signed_["snapshot"]["meta"] = meta;
    snapshot = RATCHET_TRY(sign("snapshot"));
    const Json ts_meta = Json{{"snapshot.json", meta_entry(version("snapshot"), snapshot)}};
    if (published_ && signed_["timestamp"]["meta"] != ts_meta) bump("timestamp");
    signed_["timestamp"]["meta"] = ts_meta;
    timestamp = RATCHET_TRY(sign("timestamp"));
  }

  // The layout aktualizr's servers use: metadata at the top, target files under targets/.
  // Written bottom-up (target files, roots, targets roles, snapshot, timestamp last), so a client
  // reading while this runs never finds metadata naming a file that is not there yet.
  const auto& md = dir;
  const auto td = dir / "targets";
  std::error_code ec;
  std::filesystem::create_directories(md, ec);
  std::filesystem::create_directories(td, ec);
  for (auto& [target, content] : target_files_)
    RATCHET_TRY(publish_target(td, target, content));
  for (const auto& [v, bytes] : roots_)
    RATCHET_TRY(write_file_atomic(md / fmt::format("{}.root.json", v), bytes));
  RATCHET_TRY(write_file_atomic(md / "root.json", roots_.rbegin()->second));
  const auto name = [&](const std::string& role, std::uint64_t v) {
    return consistent_ ? fmt::format("{}.{}.json", v, url_encode(role))
                       : url_encode(role) + ".json";
  };
  for (const auto& [role, bytes] : docs)
    RATCHET_TRY(write_file_atomic(md / name(role, version(role)), bytes));
  if (full) {
    RATCHET_TRY(write_file_atomic(md / name("snapshot", version("snapshot")), snapshot));
    RATCHET_TRY(write_file_atomic(md / "timestamp.json", timestamp));
  } else {
    std::filesystem::remove(md / "timestamp.json", ec);
    std::filesystem::remove(md / "snapshot.json", ec);
  }
  published_ = true;
  return {};
}

// Writes one target file under targets/ (hash-prefixed under consistent snapshots). A file target
// already published under its hash-prefixed name is not copied again; once placed, the published
// copy is its content.
Status TufRepository::publish_target(const std::filesystem::path& targets_dir,
                                     const std::string& name, TargetContent& content) const {
  const std::filesystem::path rel(name);
  const auto parent = (targets_dir / rel).parent_path();
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  const std::string hash = content.file.empty() ? sha256_hex(content.bytes) : content.sha256;
  const auto dest = parent / (consistent_ ? fmt::format("{}.{}", hash, rel.filename().string())
                                          : rel.filename().string());
  if (content.file.empty()) return write_file_atomic(dest, content.bytes);
  if (std::filesystem::equivalent(content.file, dest, ec)) return {};
  if (consistent_ && std::filesystem::is_regular_file(dest, ec)) {
    // Same name, same hash: the same bytes (a previous publish, or another target's file).
    if (content.scratch) std::filesystem::remove(content.file, ec);
  } else {
    RATCHET_TRY(repo::place_file(content.file, dest,
                                 content.scratch ? repo::Placement::Move : repo::Placement::Copy));
  }
  content.file = dest;
  content.scratch = false;
  return {};
}

}  // namespace ratchet::tuf
