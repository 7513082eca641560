// Progress of an install that survives a power cut: where the payload and the image stood at the
// last consistent point, the payload's hashing state there, and the image head the slot writer
// holds back (written once to a side file, since it reaches the slot only at the very end).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace ratchet::streaming {

struct Checkpoint {
  std::string identity;  // which install this is (hex digest of its parameters)
  std::uint64_t payload_offset = 0;
  std::uint64_t image_offset = 0;
  std::string payload_state;  // Hasher::save() bytes
  std::string image_state;

  [[nodiscard]] static Result<std::optional<Checkpoint>> load(const std::filesystem::path& path);
  [[nodiscard]] Status save(const std::filesystem::path& path) const;
};

[[nodiscard]] std::filesystem::path head_path(const std::filesystem::path& checkpoint);
// Removes the checkpoint, its head file and their temporary files; missing files are fine, any
// other failure is Io naming the file.
[[nodiscard]] Status remove_checkpoint_files(const std::filesystem::path& checkpoint);
// The same, where the failure can only be logged (the install's own error is the one to report).
void remove_checkpoint(const std::filesystem::path& checkpoint);
// Only the temporary files a crash in the middle of saving the checkpoint or its head left.
[[nodiscard]] Status remove_checkpoint_temps(const std::filesystem::path& checkpoint);

}  // namespace ratchet::streaming
