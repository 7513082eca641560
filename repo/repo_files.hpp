// File helpers of the operator side: hashing a (large) file as it is read, and placing a file
// under a new name atomically, by a rename or hard link when the source may be taken, else by a
// copy. Errors name the file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "common/result.hpp"

namespace ratchet::repo {

struct FileDigest {
  std::uint64_t length = 0;
  std::string sha256;  // lower-case hex
};

// Reads the whole file once.
[[nodiscard]] Result<FileDigest> digest_file(const std::filesystem::path& path);

enum class Placement : std::uint8_t {
  Copy,  // the source stays as it is (an operator's file: never aliased by a hard link)
  Move,  // the source is a scratch file: renamed when on the same file system, else copied
};

// Makes `to` hold the content of `from`: after a crash it is either absent or complete (written
// beside it, fsynced, renamed). Parent directories are created.
[[nodiscard]] Status place_file(const std::filesystem::path& from, const std::filesystem::path& to,
                                Placement how, unsigned mode = 0644);

}  // namespace ratchet::repo
