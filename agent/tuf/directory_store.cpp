#include "agent/tuf/directory_store.hpp"

#include "common/file.hpp"

namespace ratchet::tuf {

std::filesystem::path DirectoryStore::path_of(std::string_view role) const {
  return dir_ / (url_encode(role) + ".json");
}

Result<std::optional<std::string>> DirectoryStore::load(std::string_view role) {
  auto bytes = read_file(path_of(role), 16u << 20);
  if (!bytes) {
    if (bytes.error().code() == Code::NotFound) return std::optional<std::string>();
    return fail(std::move(bytes).error());
  }
  return std::optional<std::string>(std::move(*bytes));
}

Status DirectoryStore::store(std::string_view role, std::string_view bytes) {
  return write_file_atomic(path_of(role), bytes, 0644);
}

}  // namespace ratchet::tuf
