#include "agent/bundle/bundle_index.hpp"

#include <array>
#include <cstring>
#include <vector>

#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include "agent/bundle/archive_reader.hpp"
#include "common/file.hpp"

namespace ratchet::bundle {
namespace {

constexpr std::string_view kTargets = "image/targets/";

bool is_target(const std::string& name) {
  return name.starts_with(kTargets);
}

}  // namespace

Result<std::string> entry_name(const char* raw, const std::string& where) {
  if (raw == nullptr) return fail(Code::BadBundle, "{}: an entry has no name", where);
  std::string_view name(raw);
  if (name.size() > 4096) return fail(Code::BadBundle, "{}: an entry's name is too long", where);
  if (name.starts_with('/'))
    return fail(Code::BadBundle, "{}: entry '{}' is an absolute path", where, name);
  std::string out;
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t end = std::min(name.find('/', start), name.size());
    const std::string_view part = name.substr(start, end - start);
    if (part == "..") return fail(Code::BadBundle, "{}: entry '{}' leaves the bundle", where, name);
    if (!part.empty() && part != ".") {
      if (!out.empty()) out.push_back('/');
      out.append(part);
    }
    start = end + 1;
  }
  return out;
}

namespace {

std::string_view type_name(mode_t type) {
  switch (type) {
    case AE_IFLNK:
      return "a symbolic link";
    case AE_IFCHR:
      return "a character device";
    case AE_IFBLK:
      return "a block device";
    case AE_IFIFO:
      return "a FIFO";
    case AE_IFSOCK:
      return "a socket";
    default:
      return "not a regular file or directory";
  }
}

Result<std::string> read_whole(archive* a, std::uint64_t size, const std::string& where) {
  std::string out(static_cast<std::size_t>(size), '\0');
  std::size_t done = 0;
  while (done < out.size()) {
    const la_ssize_t n = archive_read_data(a, out.data() + done, out.size() - done);
    if (n < 0) return fail(archive_failure(a, where));
    if (n == 0) return fail(Code::BadBundle, "{}: truncated", where);
    done += static_cast<std::size_t>(n);
  }
  return out;
}

// For an uncompressed archive the entry's bytes are at the format reader's position. Confirmed
// by comparing the first bytes with a direct read, so a reader quirk can only cost speed.
Result<std::optional<std::uint64_t>> locate_data(archive* a, int fd, std::uint64_t size,
                                                 const std::string& where) {
  const la_int64_t at = archive_filter_bytes(a, 0);
  if (at < 0) return std::optional<std::uint64_t>{};
  const auto probe = static_cast<std::size_t>(std::min<std::uint64_t>(size, 4096));
  const auto head = RATCHET_TRY(read_whole(a, probe, where));
  std::array<char, 4096> direct{};
  const ssize_t n = ::pread(fd, direct.data(), probe, static_cast<off_t>(at));
  if (n != static_cast<ssize_t>(probe) || std::memcmp(direct.data(), head.data(), probe) != 0)
    return std::optional<std::uint64_t>{};
  return std::optional<std::uint64_t>(static_cast<std::uint64_t>(at));
}

}  // namespace

const BundleEntry* BundleIndex::find(const std::string& name) const {
  const auto it = entries.find(name);
  return it == entries.end() ? nullptr : &it->second;
}

Result<BundleIndex> index_bundle(const std::filesystem::path& path, const BundleLimits& limits) {
  const std::string where = path.string();
  auto opened = RATCHET_TRY(open_archive(path));
  archive* a = opened.reader.get();
  BundleIndex index;
  index.archive = path;
  std::uint64_t metadata_bytes = 0;
  bool director = false;
  bool image = false;
  while (true) {
    archive_entry* e = nullptr;
    const int r = archive_read_next_header(a, &e);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return fail(archive_failure(a, where));
    if (index.entries.size() >= limits.max_entries)
      return fail(Code::BadBundle, "{}: more than {} entries", where, limits.max_entries);
    if (index.format.empty()) {
      index.format = archive_format_name(a);
      index.compression = compression_name(a);
    }
    const std::string name = RATCHET_TRY(entry_name(archive_entry_pathname(e), where));
    const std::string at = fmt::format("{}: entry '{}'", where, name);
    if (archive_entry_hardlink(e) != nullptr) return fail(Code::BadBundle, "{} is a link", at);
    const mode_t type = archive_entry_filetype(e);
    if (type == AE_IFDIR || name.empty()) continue;
    if (type != AE_IFREG) return fail(Code::BadBundle, "{} is {}", at, type_name(type));
    if (archive_entry_sparse_count(e) > 0) return fail(Code::BadBundle, "{} is a sparse file", at);
    if (!archive_entry_size_is_set(e) || archive_entry_size(e) < 0)
      return fail(Code::BadBundle, "{} has no size", at);
    const auto size = static_cast<std::uint64_t>(archive_entry_size(e));
    if (index.entries.contains(name)) return fail(Code::BadBundle, "{} appears twice", at);
    director = director || name.starts_with("director/");
    image = image || name.starts_with("image/");
    BundleEntry entry;
    entry.size = size;
    if (is_target(name)) {
      if (size > limits.max_entry_bytes)
        return fail(Code::BadBundle, "{}: {} bytes, more than the bound of {}", at, size,
                    limits.max_entry_bytes);
      if (index.compression == "none")
        entry.data_offset = RATCHET_TRY(locate_data(a, opened.fd.get(), size, at));
    } else {
      metadata_bytes += size;
      if (size > limits.max_metadata_bytes || metadata_bytes > limits.max_metadata_bytes)
        return fail(Code::BadBundle, "{}: metadata beyond the bound of {} bytes", at,
                    limits.max_metadata_bytes);
      entry.bytes = RATCHET_TRY(read_whole(a, size, at));
    }
    index.entries.emplace(name, std::move(entry));
  }
  if (!director || !image)
    return fail(Code::BadBundle, "{}: not a bundle (no director/ and image/ at its top)", where);
  return index;
}

}  // namespace ratchet::bundle
