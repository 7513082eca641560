// The agent's one LMDB environment: trusted metadata of both repositories, the time floor and the
// agent's own state. Reads are point lookups; every change is one write transaction, so a power
// cut leaves either the old set or the new one.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/handles/lmdb.hpp"
#include "common/result.hpp"

namespace ratchet::store {

inline constexpr std::string_view kFormatKey = "meta/format";
inline constexpr std::string_view kFormatVersion = "1";
inline constexpr std::size_t kMaxValue = 16u << 20;

class LmdbStore {
 public:
  // Opens (creating if needed) the environment in `dir`. A store written by a newer format is
  // refused rather than misread.
  [[nodiscard]] static Result<LmdbStore> open(const std::filesystem::path& dir,
                                              std::size_t map_size = 256u << 20);

  [[nodiscard]] Result<std::optional<std::string>> get(std::string_view key) const;
  // Writes `puts` and removes `erases` in one transaction; nothing of it on failure.
  [[nodiscard]] Status commit(const std::map<std::string, std::string>& puts,
                              const std::vector<std::string>& erases = {});
  // All keys with `prefix` (listing trusted roles, installed ECUs).
  [[nodiscard]] Result<std::map<std::string, std::string>> scan(std::string_view prefix) const;

  [[nodiscard]] const std::filesystem::path& dir() const noexcept { return dir_; }

 private:
  std::filesystem::path dir_;
  lmdb::Env env_;
  MDB_dbi dbi_ = 0;
};

}  // namespace ratchet::store
