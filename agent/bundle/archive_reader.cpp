#include "agent/bundle/archive_reader.hpp"

#include "common/file.hpp"

namespace ratchet::bundle {

Result<OpenedArchive> open_archive(const std::filesystem::path& path) {
  OpenedArchive out;
  auto fd = open_regular_file(path);
  if (!fd) return fail(Code::BadBundle, "{}", fd.error().message());
  out.fd = std::move(*fd);
  out.reader.reset(archive_read_new());
  archive* a = out.reader.get();
  if (a == nullptr) return fail(Code::Internal, "{}: libarchive: out of memory", path.string());
  for (const int r : {archive_read_support_format_tar(a), archive_read_support_filter_zstd(a),
                      archive_read_support_filter_gzip(a), archive_read_support_filter_xz(a)})
    if (r != ARCHIVE_OK) return fail(archive_failure(a, path.string()));
  if (archive_read_open_fd(a, out.fd.get(), std::size_t{1} << 20) != ARCHIVE_OK)
    return fail(archive_failure(a, path.string()));
  return out;
}

Error archive_failure(archive* a, std::string_view where) {
  const char* why = archive_error_string(a);
  return {Code::BadBundle,
          fmt::format("{}: {}", where, why != nullptr ? why : "unreadable archive")};
}

std::string compression_name(archive* a) {
  // Filter 0 is the one next to the format; the last one reads the file itself.
  for (int i = 0; i < archive_filter_count(a); ++i) {
    switch (archive_filter_code(a, i)) {
      case ARCHIVE_FILTER_ZSTD:
        return "zstd";
      case ARCHIVE_FILTER_GZIP:
        return "gzip";
      case ARCHIVE_FILTER_XZ:
        return "xz";
      default:
        break;
    }
  }
  return "none";
}

}  // namespace ratchet::bundle
