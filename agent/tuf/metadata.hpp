// TUF 1.0 metadata: the signed envelope, signature thresholds, and the four role types (plus
// delegated targets), parsed from either dialect (TUF 1.0, or aktualizr's capitalised _type with
// {keyid, method, sig(base64)} signatures).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/tuf/canonical_json.hpp"
#include "agent/tuf/keys.hpp"
#include "streaming/hasher.hpp"

namespace ratchet::tuf {

using Hashes = streaming::ExpectedDigests;
using KeyMap = std::map<std::string, PublicKey>;  // key ID -> usable key
using Seconds = std::int64_t;                     // since the Unix epoch, UTC

struct Signature {
  std::string keyid;
  std::vector<std::byte> value;
};

// A metadata document as received: its exact bytes, the signed part, the canonical form the
// signatures cover, and the signatures.
// nlohmann::json members: tidy cannot see that their moves do not throw.
// NOLINTNEXTLINE(bugprone-exception-escape)
struct Envelope {
  std::string raw;
  Json signed_part;
  std::string canonical;
  std::vector<Signature> signatures;
};

[[nodiscard]] Result<Envelope> parse_envelope(std::string raw, std::string_view what,
                                              std::size_t max_bytes);

struct RoleKeys {
  std::vector<std::string> keyids;
  std::uint32_t threshold = 1;
};

// Counts valid signatures by distinct keys of the role (distinct PublicKey::material(), not
// distinct key IDs). ThresholdNotMet (or BadSignature when a role key's signature was present
// but wrong) below the threshold.
[[nodiscard]] Status verify_role(const Envelope& doc, const KeyMap& keys, const RoleKeys& role,
                                 std::string_view what);

struct Common {
  std::string type;  // lower case: root, timestamp, snapshot, targets
  std::uint64_t version = 0;
  Seconds expires = 0;
  [[nodiscard]] bool expired(Seconds now) const noexcept { return now >= expires; }
};

struct MetaFile {
  std::uint64_t version = 0;
  std::optional<std::uint64_t> length;
  Hashes hashes;
};

// Which top-level roles a repository has. The Image repository (and any TUF repository) is
// Full; an Uptane Director may be TargetsOnly (root and targets, as OTA Community Edition runs
// it). A root says which: it lists exactly those roles.
enum class Layout : std::uint8_t { Full, TargetsOnly };

struct Root : Common {
  KeyMap keys;
  std::map<std::string, RoleKeys> roles;
  bool consistent_snapshot = false;
  // The one reader of the layout: a root without a timestamp role is targets-only (parse_root
  // accepts no other shape).
  [[nodiscard]] Layout layout() const {
    return roles.contains("timestamp") ? Layout::Full : Layout::TargetsOnly;
  }
};
[[nodiscard]] std::string_view layout_name(Layout layout) noexcept;

struct Timestamp : Common {
  MetaFile snapshot;
};

struct Snapshot : Common {
  std::map<std::string, MetaFile> meta;  // "targets.json", "<delegated role>.json"
};

// nlohmann::json members: tidy cannot see that their moves do not throw.
// NOLINTNEXTLINE(bugprone-exception-escape)
struct TargetFile {
  std::uint64_t length = 0;
  Hashes hashes;
  Json custom;
};

struct DelegatedRole {
  std::string name;
  RoleKeys keys;
  bool terminating = false;
  std::optional<std::vector<std::string>> paths;
  std::optional<std::vector<std::string>> path_hash_prefixes;
  // Whether this role is trusted for `target` (glob paths or hash prefixes).
  [[nodiscard]] bool covers(std::string_view target) const;
};

// Succinct hash-bin delegation (TAP 15): 2^bit_length roles "<prefix>-<hex bin>" sharing keys;
// a target belongs to the bin given by the top bits of the SHA-256 of its path.
struct SuccinctRoles {
  RoleKeys keys;
  unsigned bit_length = 1;
  std::string name_prefix;
  [[nodiscard]] std::string role_for(std::string_view target) const;
  [[nodiscard]] bool is_bin(std::string_view role) const;
};

struct Delegations {
  KeyMap keys;
  std::vector<DelegatedRole> roles;
  std::optional<SuccinctRoles> succinct;
};

struct Targets : Common {
  std::map<std::string, TargetFile> targets;
  std::optional<Delegations> delegations;
};

// Roles exactly root, timestamp, snapshot, targets (Full) or exactly root, targets (TargetsOnly):
// whether a repository may have the second layout is its client's check (Updater).
[[nodiscard]] Result<Root> parse_root(const Envelope& doc, std::string_view what);
[[nodiscard]] Result<Timestamp> parse_timestamp(const Envelope& doc, std::string_view what);
[[nodiscard]] Result<Snapshot> parse_snapshot(const Envelope& doc, std::string_view what);
[[nodiscard]] Result<Targets> parse_targets(const Envelope& doc, std::string_view what);

// "2030-01-01T00:00:00Z" <-> seconds.
[[nodiscard]] Result<Seconds> parse_time(std::string_view text);
[[nodiscard]] std::string format_time(Seconds t);

// Checks bytes against a MetaFile's optional length and hashes (snapshot/targets as listed).
[[nodiscard]] Status check_meta_file(std::string_view bytes, const MetaFile& expected,
                                     std::string_view what);

// fnmatch-style matching of TUF delegation paths ('*' does not cross '/').
[[nodiscard]] bool path_matches(std::string_view pattern, std::string_view target);

}  // namespace ratchet::tuf
