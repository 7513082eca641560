// A POSIX ustar archive writer (POSIX.1-1988 "ustar" headers, as `tar --format=ustar` writes):
// directories and regular files, names up to 255 bytes through the prefix field, files below 8
// GiB. File contents are streamed; the archive appears under its name only once complete.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "common/fd.hpp"
#include "common/result.hpp"

namespace ratchet::repo {

class UstarWriter {
 public:
  // Writes to "<path>.part" until finish() renames it to `path`; an unfinished archive is removed.
  [[nodiscard]] static Result<std::unique_ptr<UstarWriter>> create(std::filesystem::path path,
                                                                   std::int64_t mtime);
  UstarWriter(const UstarWriter&) = delete;
  UstarWriter& operator=(const UstarWriter&) = delete;
  ~UstarWriter();

  // `name` is the path inside the archive, relative, '/'-separated ("image/targets").
  [[nodiscard]] Status add_directory(std::string_view name);
  [[nodiscard]] Status add_file(std::string_view name, const std::filesystem::path& source);
  [[nodiscard]] Status add_bytes(std::string_view name, std::string_view data);
  // The end-of-archive blocks, fsync, rename.
  [[nodiscard]] Status finish();

 private:
  UstarWriter() = default;
  [[nodiscard]] Status header(std::string_view name, char type, std::uint64_t size, unsigned mode);
  [[nodiscard]] Status pad(std::uint64_t size);
  std::filesystem::path path_;
  std::filesystem::path part_;
  UniqueFd fd_;
  std::int64_t mtime_ = 0;
  bool done_ = false;
};

}  // namespace ratchet::repo
