// A USB bundle as one archive (tar in the ustar, pax or GNU format, optionally compressed with
// zstd, gzip or xz), read through libarchive without unpacking it. Indexing reads every header
// once: it refuses what a bundle never holds (links, devices, FIFOs, sparse files, absolute
// paths, `..`, duplicates, sizes beyond the bounds) and keeps the small metadata files in memory.
// Images stay in the archive: an uncompressed one is read at its offset, a compressed one is
// decompressed from the start of the archive when it is installed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "common/result.hpp"

namespace ratchet::bundle {

struct BundleLimits {
  std::uint64_t max_entry_bytes = std::uint64_t{16} << 30;     // one image (config max_image_size)
  std::uint64_t max_metadata_bytes = std::uint64_t{64} << 20;  // all metadata files, in memory
  std::size_t max_entries = 4096;
};

struct BundleEntry {
  std::uint64_t size = 0;
  // Where the entry's bytes start in the archive file: set for an uncompressed archive.
  std::optional<std::uint64_t> data_offset;
  // Metadata (everything outside image/targets/) is held in memory after indexing.
  std::optional<std::string> bytes;
};

struct BundleIndex {
  std::filesystem::path archive;
  std::string format;       // "POSIX pax interchange format", "GNU tar format", ...
  std::string compression;  // "none", "zstd", "gzip", "xz"
  std::map<std::string, BundleEntry> entries;  // by normalised name ("image/targets/os.img")

  [[nodiscard]] const BundleEntry* find(const std::string& name) const;
};

// Every bundle error is BadBundle and names the archive and the entry.
[[nodiscard]] Result<BundleIndex> index_bundle(const std::filesystem::path& archive,
                                               const BundleLimits& limits);

// An archive entry's name as the index keys it: "./director//root.json" -> "director/root.json",
// empty for the archive's own "." entry; BadBundle for an absolute name or one with "..".
[[nodiscard]] Result<std::string> entry_name(const char* raw, const std::string& where);

}  // namespace ratchet::bundle
