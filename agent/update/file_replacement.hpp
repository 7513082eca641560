// How a `file` (or `command`) ECU's image replaces the file at its path: never in place. The image
// streams into a temporary file beside the target (same directory, so the rename is atomic; the
// target's mode and owner), and only a complete, verified, fsynced temporary file is renamed over
// the target, then the directory is fsynced. Until that rename the target stays byte-identical;
// after it, the target is the new image. Nothing in between is ever visible at the path.
//
// Not resumable: an interrupted replacement starts over (the temporary file is removed on every
// failure, and a run that was killed leaves one that the next run's start removes).
#pragma once

#include <filesystem>
#include <string_view>

#include "common/result.hpp"

namespace ratchet::update {

// `<dir>/.<name>.ratchet-tmp`: the one temporary file a target ever has.
[[nodiscard]] std::filesystem::path replacement_temp(const std::filesystem::path& target);

// Removes a leftover temporary file of `target` (a killed run's); none is fine. Any other failure
// is Io naming the temporary file.
[[nodiscard]] Status remove_replacement_temp(const std::filesystem::path& target);

class FileReplacement {
 public:
  // Removes a leftover temporary file and creates a fresh one (O_EXCL, no symlink followed) with
  // the target's mode and owner (0644 when the target does not exist yet). The target must be a
  // regular file or absent: anything else (a symlink, a directory, a device) is BadConfig naming
  // `what` (the configuration key), since a rename would replace the link or node itself.
  [[nodiscard]] static Result<FileReplacement> begin(const std::filesystem::path& target,
                                                     std::string_view what);

  FileReplacement(FileReplacement&& other) noexcept;
  FileReplacement& operator=(FileReplacement&&) = delete;
  FileReplacement(const FileReplacement&) = delete;
  FileReplacement& operator=(const FileReplacement&) = delete;
  // Removes the temporary file unless commit() renamed it.
  ~FileReplacement();

  // Where the image is to be written (it exists, empty, when begin() returns).
  [[nodiscard]] const std::filesystem::path& temp() const noexcept { return temp_; }

  // fsync of the temporary file, rename over the target, fsync of the directory. On failure the
  // temporary file is removed and the target is untouched (or, if only the directory fsync
  // failed, already the new image: the error says so).
  [[nodiscard]] Status commit();

 private:
  FileReplacement(std::filesystem::path target, std::filesystem::path temp)
      : target_(std::move(target)), temp_(std::move(temp)) {}

  std::filesystem::path target_;
  std::filesystem::path temp_;
  bool pending_ = true;  // the temporary file is ours to remove
};

}  // namespace ratchet::update
