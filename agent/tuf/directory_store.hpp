// Trusted metadata as plain files (ratchet-tuf's metadata directory): <url-encoded role>.json,
// exactly the bytes that were verified, each replaced atomically.
#pragma once

#include <filesystem>

#include "agent/tuf/updater.hpp"

namespace ratchet::tuf {

class DirectoryStore final : public MetadataStore {
 public:
  explicit DirectoryStore(std::filesystem::path dir) : dir_(std::move(dir)) {}
  [[nodiscard]] Result<std::optional<std::string>> load(std::string_view role) override;
  [[nodiscard]] Status store(std::string_view role, std::string_view bytes) override;
  [[nodiscard]] std::filesystem::path path_of(std::string_view role) const;

 private:
  std::filesystem::path dir_;
};

}  // namespace ratchet::tuf
