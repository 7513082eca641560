// A repository's view of the trusted store during a refresh: reads see what this refresh has
// verified so far, then what was trusted before; writes are staged in memory and reach LMDB only
// when the whole set (both repositories) has verified, in one transaction.
#pragma once

#include <map>
#include <string>

#include "agent/store/lmdb_store.hpp"
#include "agent/tuf/updater.hpp"

namespace ratchet::store {

class StagedMetadata final : public tuf::MetadataStore {
 public:
  // Keys are "trusted/<repository>/<role>".
  StagedMetadata(const LmdbStore& store, std::string repository)
      : store_(store), prefix_("trusted/" + std::move(repository) + "/") {}

  [[nodiscard]] Result<std::optional<std::string>> load(std::string_view role) override;
  [[nodiscard]] Status store(std::string_view role, std::string_view bytes) override;

  // What this refresh verified, keyed for LmdbStore::commit.
  [[nodiscard]] const std::map<std::string, std::string>& staged() const noexcept {
    return staged_;
  }

 private:
  const LmdbStore& store_;
  std::string prefix_;
  std::map<std::string, std::string> staged_;
};

}  // namespace ratchet::store
