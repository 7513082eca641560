// The operator side of TUF: an in-memory repository that holds keys, builds and signs metadata,
// and publishes it as plain files with consistent snapshots (servable by any static web server).
// Used by the tests, and by ratchet-repo.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "repo/dialect.hpp"
#include "agent/tuf/keys.hpp"
#include "agent/tuf/metadata.hpp"

namespace ratchet::tuf {

// nlohmann::json members: tidy cannot see that their moves do not throw.
// NOLINTNEXTLINE(bugprone-exception-escape)
class TufRepository {
 public:
  // One key per top-level role, threshold 1, versions 1, expiring a year after `now`. A
  // TargetsOnly repository (an Uptane Director as OTA Community Edition runs it) has only the
  // root and targets roles: its root lists those two, and publish writes no timestamp or snapshot.
  [[nodiscard]] static Result<TufRepository> create(Seconds now, KeyType type = KeyType::Ed25519,
                                                    bool consistent_snapshot = true,
                                                    Layout layout = Layout::Full);
  [[nodiscard]] Layout layout() const {
    return signed_.contains("timestamp") ? Layout::Full : Layout::TargetsOnly;
  }

  // How the metadata is written (dialect.hpp): TUF 1.0 unless set; signed parts are kept in TUF
  // form either way (signed_part), and rendered in the dialect when signed. Set it before the
  // first publish: the next publish signs the current root version again, in the new dialect.
  void set_dialect(Dialect d) {
    if (d != dialect_) finalized_root_ = Json();
    dialect_ = d;
  }
  [[nodiscard]] Dialect dialect() const noexcept { return dialect_; }

  // Role keys ("root", "timestamp", "snapshot", "targets"; "root", "targets" when TargetsOnly).
  [[nodiscard]] Status add_key(const std::string& role, const PrivateKey& key);
  void remove_key(const std::string& role, const std::string& keyid);
  void set_threshold(const std::string& role, std::uint32_t threshold);
  [[nodiscard]] const std::vector<PrivateKey>& keys(const std::string& role) const;

  // Targets of the top-level targets role, or of a delegated role.
  void add_target(const std::string& name, std::string content, Json custom = Json::object(),
                  const std::string& role = "targets");
  // A target whose content is the file at `path` (hashed now, read once): publish places it in
  // targets/, copied, or moved when `scratch` (a file made for the repository, such as an encoded
  // payload), and from then on the published copy is the target's content.
  [[nodiscard]] Status add_target_file(const std::string& name, const std::filesystem::path& path,
                                       Json custom = Json::object(),
                                       const std::string& role = "targets", bool scratch = false);
  // A target entry ({length, hashes, custom}) without content: a Director lists what the Image
  // repository serves.
  void set_target_entry(const std::string& name, Json entry, const std::string& role = "targets");
  // The role that lists `name` (top-level targets first, then delegated roles by name), or "".
  [[nodiscard]] std::string role_of_target(const std::string& name) const;
  [[nodiscard]] bool has_role(const std::string& role) const { return signed_.contains(role); }
  // The parent of a delegated role, or "" for a top-level role.
  [[nodiscard]] std::string parent_of(const std::string& role) const;
  // A delegation from `parent` to a new role with one fresh key.
  [[nodiscard]] Result<PrivateKey> add_delegation(const std::string& parent,
                                                  const std::string& role,
                                                  std::vector<std::string> paths,
                                                  bool terminating = false);

  // Drops a delegated role (its entry in the parent, its metadata and keys).
  void remove_delegation(const std::string& parent, const std::string& role);

  void set_expires(const std::string& role, Seconds expires);
  // The signed parts, to edit freely before signing (tests make bad metadata this way).
  [[nodiscard]] Json& signed_part(const std::string& role) { return signed_.at(role); }

  // Bumps the version of `role` (and rebuilds timestamp/snapshot to match on publish).
  void bump(const std::string& role);

  // Signs `role` with the given keys (default: the role's keys) into an envelope.
  [[nodiscard]] Result<std::string> sign(const std::string& role,
                                         const std::vector<const PrivateKey*>& signers = {}) const;

  // Rebuilds snapshot and timestamp (hashes and lengths of what they list), then writes every
  // root version, timestamp.json, V.snapshot.json, V.<role>.json into dir and the target files
  // into dir/targets/ (hash-prefixed under consistent snapshots). TargetsOnly: no timestamp or
  // snapshot (and any left in `dir` by an earlier layout is removed).
  [[nodiscard]] Status publish(const std::filesystem::path& dir);

  [[nodiscard]] std::string root_bytes(std::uint64_t version) const { return roots_.at(version); }
  [[nodiscard]] std::uint64_t version(const std::string& role) const;

  // Everything needed to keep signing, in `dir` (tuf_repository_state.cpp): the private keys as
  // PEM files (0600) and state.json (signed parts, key assignments, root history, target list).
  // Target files are referenced where they are (the published copy), not copied; in-memory
  // targets are kept inline. load() reads it back; errors name the file and field.
  [[nodiscard]] Status save(const std::filesystem::path& dir) const;
  [[nodiscard]] static Result<TufRepository> load(const std::filesystem::path& dir);

 private:
  struct TargetContent {
    // (the {} keep GCC 12 quiet about designated initializers)
    std::string bytes{};           // in memory, when `file` is empty
    std::filesystem::path file{};  // on disk
    std::string sha256{};          // hex, of a file target
    bool scratch = false;          // the file may be moved into targets/
  };
  [[nodiscard]] Status publish_target(const std::filesystem::path& targets_dir,
                                      const std::string& name, TargetContent& content) const;
  [[nodiscard]] Status refresh_root_keys();
  [[nodiscard]] Status finalize_root();  // signs the current root version into roots_
  bool consistent_ = true;
  Dialect dialect_ = Dialect::Tuf;
  std::map<std::string, Json> signed_;                          // role -> signed part
  std::map<std::string, std::vector<PrivateKey>> keys_;         // role -> signing keys
  std::map<std::string, std::string> parents_;                  // delegated role -> parent
  std::map<std::string, TargetContent> target_files_;           // name -> content
  std::map<std::uint64_t, std::string> roots_;                  // version -> signed root bytes
  bool published_ = false;                                      // publish() has run
  std::map<std::uint64_t, std::vector<PrivateKey>> root_keys_;  // root version -> its keys
  Json finalized_root_;                                         // the signed part last signed
  std::map<std::string, Json> published_signed_;                // targets roles as last published
};

}  // namespace ratchet::tuf
