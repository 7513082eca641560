// Opens a bundle archive for reading with libarchive: tar formats only (ustar, pax, GNU), raw or
// compressed with zstd, gzip or xz. The file is opened as a regular file (never a FIFO, device
// or symlink) and read in large blocks; skipping an uncompressed entry seeks.
#pragma once

#include <filesystem>
#include <string>

#include "common/fd.hpp"
#include "common/handles/archive.hpp"
#include "common/result.hpp"

namespace ratchet::bundle {

struct OpenedArchive {
  UniqueFd fd;  // declared first: closed after the reader that uses it
  libarchive::Reader reader;
};

[[nodiscard]] Result<OpenedArchive> open_archive(const std::filesystem::path& path);

// BadBundle with libarchive's message for the last failure on `a`.
[[nodiscard]] Error archive_failure(archive* a, std::string_view where);

// "none", "zstd", "gzip", "xz": the archive's outer compression (after its first header).
[[nodiscard]] std::string compression_name(archive* a);

}  // namespace ratchet::bundle
