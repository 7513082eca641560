// One Uptane check of both repositories, as `fetch`, `update` and `install` all run it: refresh
// the Director (root + targets at least) and the Image repository, then full verification for
// this device's ECUs. Nothing is stored: change() is the verified set, for one commit.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "agent/store/anchored_store.hpp"
#include "agent/store/staged_metadata.hpp"
#include "agent/tuf/fetcher.hpp"
#include "agent/tuf/updater.hpp"
#include "agent/uptane/verification.hpp"

namespace ratchet::uptane {

struct RefreshOptions {
  tuf::Seconds now = 0;
  // Only `ratchet fetch` without an anchor (the conformance contract): with no trusted root,
  // trust the repository's 1.root.json on first use. A provisioned device never does.
  bool trust_first_root = false;
};

class Refresh {
 public:
  Refresh(const store::LmdbStore& db, tuf::Fetcher& director, tuf::Fetcher& image,
          const RefreshOptions& options);
  Refresh(const Refresh&) = delete;
  Refresh& operator=(const Refresh&) = delete;

  [[nodiscard]] Result<VerifiedTargets> run(
      const std::vector<Ecu>& ecus, const std::map<std::string, std::uint64_t>& release_counters);

  // The verified metadata of both repositories, keyed for the store, and the new time floor: a
  // put when it is due (store::time_floor_due), else a rider. Metadata that did not change is
  // put as the bytes already stored, which AnchoredStore::commit does not count as a change.
  [[nodiscard]] Result<store::AnchoredStore::Change> change() const;
  [[nodiscard]] tuf::Updater& image() noexcept { return image_; }

 private:
  RefreshOptions options_;
  const store::LmdbStore& db_;
  tuf::Fetcher& director_fetcher_;
  tuf::Fetcher& image_fetcher_;
  store::StagedMetadata director_md_;
  store::StagedMetadata image_md_;
  tuf::Updater director_;
  tuf::Updater image_;
};

}  // namespace ratchet::uptane
