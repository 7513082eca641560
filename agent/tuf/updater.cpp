#include "agent/tuf/updater.hpp"

#include <algorithm>
#include <ctime>
#include <set>
#include <vector>

#include "common/hex.hpp"
#include "common/log.hpp"

namespace ratchet::tuf {

namespace {

// Joins the role names of a delegation path; a control character no role name in a path
// pattern plausibly holds, and a role named with it only stops matching itself.
constexpr char kPathSeparator = '\x1f';

bool on_path(std::string_view path, std::string_view role) {
  std::size_t at = 0;
  while (at <= path.size()) {
    const auto end = std::min(path.find(kPathSeparator, at), path.size());
    if (path.substr(at, end - at) == role) return true;
    at = end + 1;
  }
  return false;
}

}  // namespace

Updater::Updater(MetadataStore& store, Fetcher& fetcher, UpdaterOptions options)
    : store_(store), fetcher_(fetcher), options_(std::move(options)) {}

Seconds Updater::now() const {
  return now_;
}

std::string Updater::what(std::string_view role, std::uint64_t version) const {
  if (version == 0) return fmt::format("{} {}", options_.repository, role);
  return fmt::format("{} {} v{}", options_.repository, role, version);
}

Status Updater::refresh() {
  // One reference time for the whole refresh, read through libc (faketime works in tests).
  now_ = options_.now ? options_.now() : static_cast<Seconds>(::time(nullptr));
  root_.reset();
  timestamp_.reset();
  snapshot_.reset();
  delegated_.clear();
  RATCHET_TRY(load_root());
  if (root_->layout() == Layout::TargetsOnly) return load_direct_targets();
  RATCHET_TRY(load_timestamp());
  RATCHET_TRY(load_snapshot());
  return load_targets({"targets", "targets", ""});
}

// 5.3: the trusted root, then every newer version the repository has, one at a time.
Status Updater::load_root() {
  auto local = RATCHET_TRY(store_.load("root"));
  if (!local) return fail(Code::StateMissing, "{}: no trusted root", options_.repository);
  auto env =
      RATCHET_TRY(parse_envelope(std::move(*local), what("root.json"), options_.root_max_length));
  root_ = RATCHET_TRY(parse_root(env, what("trusted root")));
  RATCHET_TRY(
      verify_role(env, root_->keys, root_->roles.at("root"), what("trusted root", root_->version)));
  RATCHET_TRY(check_layout(*root_, what("trusted root", root_->version)));
  const std::uint64_t first = root_->version + 1;
  for (std::uint64_t v = first; v < first + options_.max_root_rotations; ++v) {
    auto bytes = fetcher_.fetch(fmt::format("{}.root.json", v), options_.root_max_length);
    if (!bytes) {
      if (bytes.error().code() == Code::NotFound) break;
      return fail(std::move(bytes).error().context(what("root", v)));
    }
    RATCHET_TRY(update_root(std::move(*bytes)));
  }
  return {};
}

Status Updater::update_root(std::string bytes) {
  const std::uint64_t expected = root_->version + 1;
  const std::string w = what("root", expected);
  auto env = RATCHET_TRY(parse_envelope(std::move(bytes), w, options_.root_max_length));
  Root next = RATCHET_TRY(parse_root(env, w));
  // Signed by a threshold of the keys trusted now, and of its own keys.
  RATCHET_TRY(verify_role(env, root_->keys, root_->roles.at("root"),
                          fmt::format("{} (by the keys of v{})", w, root_->version)));
  if (next.version != expected)
    return fail(Code::VersionMismatch, "{}: {}.root.json holds root version {}",
                options_.repository, expected, next.version);
  RATCHET_TRY(
      verify_role(env, next.keys, next.roles.at("root"), fmt::format("{} (by its own keys)", w)));
  RATCHET_TRY(check_layout(next, w));
  if (next.layout() != root_->layout())
    log::notice("{}: the root rotation changes the layout from {} to {}", w,
                layout_name(root_->layout()), layout_name(next.layout()));
  root_ = std::move(next);
  return store_.store("root", env.raw);
}

Status Updater::check_layout(const Root& root, std::string_view what) const {
  if (root.layout() == Layout::TargetsOnly && !options_.allow_targets_only)
    return fail(Code::BadMetadata,
                "{}: lists only root and targets; the {} needs timestamp and snapshot roles", what,
                options_.repository);
  return {};
}

// 5.4. A stored timestamp that no longer verifies (expired, or signed by rotated-out keys) is
// not trusted: that is the fast-forward recovery after a timestamp key rotation.
Status Updater::load_timestamp() {
  const auto local = RATCHET_TRY(store_.load("timestamp"));
  if (local) {
    auto r = update_timestamp(*local);
    if (!r && r.error().code() != Code::ExpiredMetadata)
      log::debug("{}: stored timestamp not used: {}", options_.repository, r.error().to_string());
  }
  auto bytes = fetcher_.fetch("timestamp.json", options_.timestamp_max_length);
  if (!bytes && bytes.error().code() == Code::NotFound && options_.allow_targets_only)
    return fail(Code::BadMetadata,
                "{}: timestamp.json is not served, but the trusted root v{} lists timestamp and "
                "snapshot roles: a targets-only answer from a full TUF repository is refused "
                "(its layout changes only through a root rotation)",
                options_.repository, root_->version);
  if (!bytes) return fail(std::move(bytes).error().context(what("timestamp")));
  if (timestamp_ && local && *bytes == *local) return {};  // what is trusted: nothing new
  std::string raw = *bytes;
  const bool newer = RATCHET_TRY(update_timestamp(std::move(*bytes)));
  if (newer) RATCHET_TRY(store_.store("timestamp", raw));
  return {};
}

Result<bool> Updater::update_timestamp(std::string bytes) {
  if (root_->expired(now()))
    return fail(Code::ExpiredMetadata, "{}: expired at {}", what("root", root_->version),
                format_time(root_->expires));
  const std::string w = what("timestamp");
  auto env = RATCHET_TRY(parse_envelope(std::move(bytes), w, options_.timestamp_max_length));
  Timestamp next = RATCHET_TRY(parse_timestamp(env, w));
  RATCHET_TRY(
      verify_role(env, root_->keys, root_->roles.at("timestamp"), what("timestamp", next.version)));
  if (timestamp_) {
    if (next.version < timestamp_->version)
      return fail(Code::RollbackAttempt, "{}: version {} is older than the trusted {}", w,
                  next.version, timestamp_->version);
    // TUF 1.0 5.4.3.1: an equal version is nothing new. Uptane 2.0 5.4.4.4 step 3: accepted
    // (it verified, and it is not the stored one: load_timestamp).
    if (next.version == timestamp_->version && !options_.uptane) return false;
    if (next.snapshot.version < timestamp_->snapshot.version)
      return fail(Code::RollbackAttempt, "{}: lists snapshot version {}, older than the trusted {}",
                  what("timestamp", next.version), next.snapshot.version,
                  timestamp_->snapshot.version);
  }
  timestamp_ = std::move(next);
  RATCHET_TRY(check_final_timestamp());
  return true;
}

// Root and targets only (an Uptane Director without timestamp and snapshot roles).
Status Updater::load_direct_targets() {
  if (root_->expired(now()))
    return fail(Code::ExpiredMetadata, "{}: expired at {}", what("root", root_->version),
                format_time(root_->expires));
  std::optional<std::uint64_t> trusted_version;
  const auto local = RATCHET_TRY(store_.load("targets"));
  if (local) {
    auto env = parse_envelope(*local, what("trusted targets"), options_.targets_max_length);
    if (env) {
      auto t = parse_targets(*env, what("trusted targets"));
      if (t && verify_role(*env, root_->keys, root_->roles.at("targets"), what("trusted targets")))
        trusted_version = t->version;
    }
  }
  auto bytes = fetcher_.fetch("targets.json", options_.targets_max_length);
  if (!bytes) return fail(std::move(bytes).error().context(what("targets")));
  std::string raw = *bytes;
  const std::string w = what("targets");
  auto env = RATCHET_TRY(parse_envelope(std::move(*bytes), w, options_.targets_max_length));
  Targets next = RATCHET_TRY(parse_targets(env, w));
  RATCHET_TRY(
      verify_role(env, root_->keys, root_->roles.at("targets"), what("targets", next.version)));
  if (trusted_version && next.version < *trusted_version)
    return fail(Code::RollbackAttempt, "{}: version {} is older than the trusted {}", w,
                next.version, *trusted_version);
  if (next.expired(now()))
    return fail(Code::ExpiredMetadata, "{}: expired at {}", what("targets", next.version),
                format_time(next.expires));
  delegated_["targets"] = std::move(next);
  // An equal version that verified and differs is accepted (Uptane 2.0 5.4.4.6 step 4).
  if (!local || raw != *local) RATCHET_TRY(store_.store("targets", raw));
  return {};
}

Status Updater::check_final_timestamp() const {
  if (timestamp_->expired(now()))
    return fail(Code::ExpiredMetadata, "{}: expired at {}", what("timestamp", timestamp_->version),
                format_time(timestamp_->expires));
  return {};
}

// 5.5. A stored snapshot that matches the timestamp is used as it is.
Status Updater::load_snapshot() {
  if (auto local = RATCHET_TRY(store_.load("snapshot"))) {
    auto r = update_snapshot(std::move(*local), true);
    if (r) return {};
    log::debug("{}: stored snapshot not used: {}", options_.repository, r.error().to_string());
  }
  const MetaFile& meta = timestamp_->snapshot;
  const std::string path = root_->consistent_snapshot
                               ? fmt::format("{}.snapshot.json", meta.version)
                               : std::string("snapshot.json");
  auto bytes = fetcher_.fetch(path, meta.length.value_or(options_.snapshot_max_length));
  if (!bytes) return fail(std::move(bytes).error().context(what("snapshot", meta.version)));
  std::string raw = *bytes;
  RATCHET_TRY(update_snapshot(std::move(*bytes), false));
  return store_.store("snapshot", raw);
}

Status Updater::update_snapshot(std::string bytes, bool from_store) {
  RATCHET_TRY(check_final_timestamp());
  const MetaFile& meta = timestamp_->snapshot;
  const std::string w = what("snapshot", meta.version);
  if (!from_store) RATCHET_TRY(check_meta_file(bytes, meta, w));
  // Uptane 2.0 5.4.4.2 steps 4 and 8: a stored snapshot whose hashes differ from what the new
  // timestamp lists is fetched again, but it stays the previous snapshot the new one may not
  // roll back from (5.4.4.5 steps 4-6). TUF (python-tuf) uses the stored one if its version fits.
  const Status listed = from_store && options_.uptane ? check_meta_file(bytes, meta, w) : Status{};
  auto env = RATCHET_TRY(parse_envelope(std::move(bytes), w, options_.snapshot_max_length));
  Snapshot next = RATCHET_TRY(parse_snapshot(env, w));
  RATCHET_TRY(
      verify_role(env, root_->keys, root_->roles.at("snapshot"), what("snapshot", next.version)));
  if (snapshot_) {
    if (next.version < snapshot_->version)  // Uptane 2.0 5.4.4.5 step 4
      return fail(Code::RollbackAttempt, "{}: version {} is older than the trusted {}", w,
                  next.version, snapshot_->version);
    // No targets role may disappear or go back in version (rollback, mix-and-match).
    for (const auto& [name, old] : snapshot_->meta) {
      const auto it = next.meta.find(name);
      if (it == next.meta.end())
        return fail(Code::RollbackAttempt, "{}: no longer lists {}", what("snapshot", next.version),
                    name);
      if (it->second.version < old.version)
        return fail(Code::RollbackAttempt, "{}: lists {} version {}, older than the trusted {}",
                    what("snapshot", next.version), name, it->second.version, old.version);
    }
  }
  snapshot_ = std::move(next);
  RATCHET_TRY(listed);
  return check_final_snapshot();
}

Status Updater::check_final_snapshot() const {
  if (snapshot_->expired(now()))
    return fail(Code::ExpiredMetadata, "{}: expired at {}", what("snapshot", snapshot_->version),
                format_time(snapshot_->expires));
  if (snapshot_->version != timestamp_->snapshot.version)
    return fail(Code::VersionMismatch, "{}: the timestamp lists version {}",
                what("snapshot", snapshot_->version), timestamp_->snapshot.version);
  return {};
}

// 5.6 and 5.7.
Status Updater::load_targets(const Reached& reached) {
  const std::string& role = reached.role;
  if (delegated_.contains(reached.path)) return {};
  if (!snapshot_)
    return fail(Code::BadMetadata, "{}: {} needs a snapshot, and this repository has none",
                options_.repository, role);
  if (auto local = RATCHET_TRY(store_.load(role))) {
    auto r = update_targets(std::move(*local), reached);
    if (r) return {};
    log::debug("{}: stored {} not used: {}", options_.repository, role, r.error().to_string());
  }
  const auto meta_it = snapshot_->meta.find(role + ".json");
  if (meta_it == snapshot_->meta.end())
    return fail(Code::BadMetadata, "{}: does not list {}.json",
                what("snapshot", snapshot_->version), role);
  const MetaFile& meta = meta_it->second;
  const std::string path = root_->consistent_snapshot
                               ? fmt::format("{}.{}.json", meta.version, url_encode(role))
                               : fmt::format("{}.json", url_encode(role));
  auto bytes = fetcher_.fetch(path, meta.length.value_or(options_.targets_max_length));
  if (!bytes) return fail(std::move(bytes).error().context(what(role, meta.version)));
  std::string raw = *bytes;
  RATCHET_TRY(update_targets(std::move(*bytes), reached));
  return store_.store(role, raw);
}

Status Updater::update_targets(std::string bytes, const Reached& reached) {
  const std::string& role = reached.role;
  RATCHET_TRY(check_final_snapshot());
  const auto meta_it = snapshot_->meta.find(role + ".json");
  if (meta_it == snapshot_->meta.end())
    return fail(Code::BadMetadata, "{}: does not list {}.json",
                what("snapshot", snapshot_->version), role);
  const MetaFile& meta = meta_it->second;
  const std::string w = what(role, meta.version);
  // A stored copy too (python-tuf; Uptane 2.0 5.4.4.6 step 2): what the snapshot lists now.
  RATCHET_TRY(check_meta_file(bytes, meta, w));
  auto env = RATCHET_TRY(parse_envelope(std::move(bytes), w, options_.targets_max_length));
  Targets next = RATCHET_TRY(parse_targets(env, w));
  if (reached.parent_path.empty()) {
    RATCHET_TRY(
        verify_role(env, root_->keys, root_->roles.at("targets"), what(role, next.version)));
  } else {
    const Targets& p = delegated_.at(reached.parent_path);
    if (p.delegations->succinct && p.delegations->succinct->is_bin(role)) {
      RATCHET_TRY(verify_role(env, p.delegations->keys, p.delegations->succinct->keys,
                              what(role, next.version)));
    } else {
      const auto& roles = p.delegations->roles;
      const auto d =
          std::find_if(roles.begin(), roles.end(), [&](const auto& r) { return r.name == role; });
      if (d == roles.end())
        return fail(Code::Internal, "{}: no delegation to {}", what(role), role);
      RATCHET_TRY(verify_role(env, p.delegations->keys, d->keys, what(role, next.version)));
    }
  }
  if (next.version != meta.version)
    return fail(Code::VersionMismatch, "{}: the snapshot lists version {}",
                what(role, next.version), meta.version);
  if (next.expired(now()))
    return fail(Code::ExpiredMetadata, "{}: expired at {}", what(role, next.version),
                format_time(next.expires));
  delegated_[reached.path] = std::move(next);
  return {};
}

// 5.6.7: pre-order depth-first search of the delegation graph. A role already on the current
// delegation path is skipped (a cycle); every role reached counts towards max_delegations.
Result<TargetFile> Updater::find_target(std::string_view name) {
  if (!delegated_.contains("targets")) return fail(Code::Internal, "find_target before refresh");
  std::vector<Reached> stack{{"targets", "targets", ""}};
  std::size_t visited = 0;
  while (!stack.empty()) {
    if (visited >= options_.max_delegations)
      return fail(Code::DelegationLimit, "{}: {} not found within {} delegated roles",
                  options_.repository, name, options_.max_delegations);
    const Reached reached = std::move(stack.back());
    stack.pop_back();
    RATCHET_TRY(load_targets(reached));
    ++visited;
    const Targets& t = delegated_.at(reached.path);
    if (const auto it = t.targets.find(std::string(name)); it != t.targets.end()) {
      if (it->second.hashes.empty())
        return fail(Code::BadMetadata, "{}: {} has no sha256 or sha512 hash", what(reached.role),
                    name);
      return it->second;
    }
    if (!t.delegations) continue;
    const auto child = [&](const std::string& role) -> std::optional<Reached> {
      if (on_path(reached.path, role)) return std::nullopt;
      return Reached{role, reached.path + kPathSeparator + role, reached.path};
    };
    if (t.delegations->succinct) {  // exactly one bin is trusted for any path
      stack.clear();
      if (auto c = child(t.delegations->succinct->role_for(name))) stack.push_back(std::move(*c));
      continue;
    }
    std::vector<Reached> children;
    for (const auto& d : t.delegations->roles) {
      if (!d.covers(name)) continue;
      if (auto c = child(d.name)) children.push_back(std::move(*c));
      if (d.terminating) {
        stack.clear();
        break;
      }
    }
    stack.insert(stack.end(), std::make_move_iterator(children.rbegin()),
                 std::make_move_iterator(children.rend()));
  }
  return fail(Code::TargetNotFound, "{}: no trusted role lists {}", options_.repository, name);
}

std::string Updater::target_path(std::string_view name, const TargetFile& file) const {
  if (!root_->consistent_snapshot || !options_.prefix_targets_with_hash) return std::string(name);
  const std::string hash =
      file.hashes.sha256 ? to_hex(*file.hashes.sha256) : to_hex(*file.hashes.sha512);
  const auto slash = name.rfind('/');
  if (slash == std::string_view::npos) return fmt::format("{}.{}", hash, name);
  return fmt::format("{}/{}.{}", name.substr(0, slash), hash, name.substr(slash + 1));
}

}  // namespace ratchet::tuf
