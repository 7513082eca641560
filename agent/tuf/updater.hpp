// The TUF 1.0 client workflow (specification 5.3-5.7) for one repository: root rotation,
// timestamp, snapshot, targets and delegated targets, each verified against what is already
// trusted, and target lookup by pre-order delegation search. It follows python-tuf's ngclient
// in what it requests and when, so it behaves as the reference client does.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "agent/tuf/fetcher.hpp"
#include "agent/tuf/metadata.hpp"

namespace ratchet::tuf {

// Where trusted metadata lives between runs. store() is called for each document as soon as it
// has been verified and is trusted.
class MetadataStore {
 public:
  MetadataStore() = default;
  MetadataStore(const MetadataStore&) = delete;
  MetadataStore& operator=(const MetadataStore&) = delete;
  virtual ~MetadataStore() = default;

  // `role` is "root", "timestamp", "snapshot", "targets" or a delegated role's name.
  [[nodiscard]] virtual Result<std::optional<std::string>> load(std::string_view role) = 0;
  [[nodiscard]] virtual Status store(std::string_view role, std::string_view bytes) = 0;
};

struct UpdaterOptions {
  std::string repository = "repository";  // names the repository in errors ("image repository")
  std::function<Seconds()> now;           // the verifier's notion of now (a time floor applies)
  unsigned max_root_rotations = 256;
  unsigned max_delegations = 32;
  std::uint64_t root_max_length = 512000;
  std::uint64_t timestamp_max_length = 16384;
  std::uint64_t snapshot_max_length = 2000000;
  std::uint64_t targets_max_length = 5000000;
  bool prefix_targets_with_hash = true;
  // An Uptane Director may be targets-only: when its trusted root lists only root and targets,
  // targets.json is fetched directly (its version still may not go back). The layout is the
  // trusted root's (Root::layout), so it changes only through a verified root rotation; a Director
  // whose root lists timestamp and snapshot must serve them (a 404 is BadMetadata, never a fall
  // back to targets-only). Without this, a root listing only root and targets is refused.
  bool allow_targets_only = false;
  // The Uptane Standard 2.0 rules where they differ from TUF 1.0 (docs/uptane.md): a new
  // timestamp, snapshot or targets whose version equals the trusted one is accepted when it
  // verifies and differs (5.4.4.4-5.4.4.6: "less than or equal"; TUF discards an equal-version
  // timestamp), and a stored snapshot is used only when it still matches the hashes and length
  // the newly trusted timestamp lists (else it is fetched again; TUF, as python-tuf, checks only
  // its version). A stored targets role is always re-checked against the snapshot's listing.
  bool uptane = false;
};

class Updater {
 public:
  Updater(MetadataStore& store, Fetcher& fetcher, UpdaterOptions options);

  // Loads the trusted root (StateMissing without one) and refreshes root, timestamp, snapshot
  // and targets from the repository.
  [[nodiscard]] Status refresh();

  // Looks `name` up through the delegation graph (fetching delegated metadata as needed);
  // TargetNotFound when no role trusted for it lists it.
  [[nodiscard]] Result<TargetFile> find_target(std::string_view name);

  // The repository path of a target file (hash-prefixed under consistent snapshots).
  [[nodiscard]] std::string target_path(std::string_view name, const TargetFile& file) const;

  [[nodiscard]] const Root& root() const { return *root_; }
  [[nodiscard]] const Targets& targets() const { return delegated_.at("targets"); }

 private:
  [[nodiscard]] Status load_root();
  [[nodiscard]] Status check_layout(const Root& root, std::string_view what) const;
  [[nodiscard]] Status update_root(std::string bytes);
  [[nodiscard]] Status load_timestamp();
  // Ok(true) when the repository's timestamp was newer and is now trusted.
  [[nodiscard]] Result<bool> update_timestamp(std::string bytes);
  [[nodiscard]] Status load_snapshot();
  [[nodiscard]] Status load_direct_targets();
  [[nodiscard]] Status update_snapshot(std::string bytes, bool from_store);
  // A targets role as the search reached it: its name, and the delegation path to it ("targets",
  // then each delegated role's name, joined by kPathSeparator). The trusted copy of a role is
  // per path: a role two delegators name (a diamond) is verified, and trusted, through each with
  // that delegator's keys and threshold, never the copy verified under the other (TUF 5.6.7).
  struct Reached {
    std::string role;
    std::string path;
    std::string parent_path;  // "" for the top-level targets role (verified by the root)
  };
  [[nodiscard]] Status load_targets(const Reached& r);
  [[nodiscard]] Status update_targets(std::string bytes, const Reached& r);
  [[nodiscard]] Status check_final_timestamp() const;
  [[nodiscard]] Status check_final_snapshot() const;
  [[nodiscard]] std::string what(std::string_view role, std::uint64_t version = 0) const;
  [[nodiscard]] Seconds now() const;

  MetadataStore& store_;
  Fetcher& fetcher_;
  UpdaterOptions options_;
  std::optional<Root> root_;
  std::optional<Timestamp> timestamp_;
  std::optional<Snapshot> snapshot_;
  std::map<std::string, Targets> delegated_;  // by delegation path (Reached::path)
  Seconds now_ = 0;
};

}  // namespace ratchet::tuf
