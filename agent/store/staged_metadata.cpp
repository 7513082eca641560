#include "agent/store/staged_metadata.hpp"

namespace ratchet::store {

Result<std::optional<std::string>> StagedMetadata::load(std::string_view role) {
  const std::string key = prefix_ + std::string(role);
  if (const auto it = staged_.find(key); it != staged_.end())
    return std::optional<std::string>(it->second);
  return store_.get(key);
}

Status StagedMetadata::store(std::string_view role, std::string_view bytes) {
  staged_[prefix_ + std::string(role)] = std::string(bytes);
  return {};
}

}  // namespace ratchet::store
