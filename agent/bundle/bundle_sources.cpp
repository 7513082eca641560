#include "agent/bundle/bundle_sources.hpp"

#include <archive_entry.h>

#include "agent/bundle/archive_reader.hpp"
#include "streaming/file_source.hpp"
#include "streaming/memory_sink.hpp"

namespace ratchet::bundle {
namespace {

// Streams the current entry's data into `sink`, dropping the first `offset` bytes.
Status stream_entry(archive* a, std::uint64_t size, std::uint64_t offset, streaming::Sink& sink,
                    const std::string& where) {
  std::uint64_t at = 0;
  while (true) {
    const void* block = nullptr;
    std::size_t n = 0;
    la_int64_t block_offset = 0;
    const int r = archive_read_data_block(a, &block, &n, &block_offset);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return fail(archive_failure(a, where));
    if (block_offset < 0 || static_cast<std::uint64_t>(block_offset) != at || n > size - at)
      return fail(Code::BadBundle, "{}: the entry's data is not contiguous", where);
    std::span<const std::byte> bytes(static_cast<const std::byte*>(block), n);
    if (at + n > offset) {
      const std::uint64_t skip = offset > at ? offset - at : 0;
      RATCHET_TRY(sink.write(bytes.subspan(static_cast<std::size_t>(skip))));
    }
    at += n;
  }
  if (at != size) return fail(Code::BadBundle, "{}: truncated ({} of {} bytes)", where, at, size);
  return {};
}

}  // namespace

std::string ArchiveEntrySource::describe() const {
  return fmt::format("{} in {}", name_, index_->archive.string());
}

Status ArchiveEntrySource::read_into(std::uint64_t offset, streaming::Sink& sink) {
  const BundleEntry* entry = index_->find(name_);
  if (entry == nullptr) return fail(Code::NotFound, "{}: not in the bundle", describe());
  if (offset > entry->size)
    return fail(Code::InvalidArgument, "{}: offset beyond the end", describe());
  if (entry->data_offset) {
    streaming::FileSource direct(index_->archive, entry->size, std::size_t{1} << 20,
                                 streaming::FileSource::Kind::Input, *entry->data_offset);
    return direct.read_into(offset, sink);
  }
  auto opened = RATCHET_TRY(open_archive(index_->archive));
  archive* a = opened.reader.get();
  while (true) {
    archive_entry* e = nullptr;
    const int r = archive_read_next_header(a, &e);
    if (r == ARCHIVE_EOF) return fail(Code::BadBundle, "{}: no longer in the archive", describe());
    if (r < ARCHIVE_WARN) return fail(archive_failure(a, describe()));
    const auto name = RATCHET_TRY(entry_name(archive_entry_pathname(e), describe()));
    if (name == name_) return stream_entry(a, entry->size, offset, sink, describe());
  }
}

Result<const BundleEntry*> ArchiveFetcher::entry(std::string_view path) const {
  const BundleEntry* e = index_->find(prefix_ + std::string(path));
  if (e == nullptr)
    return fail(Code::NotFound, "{}: no {}{} in the bundle", index_->archive.string(), prefix_,
                path);
  return e;
}

Result<std::string> ArchiveFetcher::fetch(std::string_view path, std::uint64_t max_bytes) {
  requested_.emplace_back(path);
  const BundleEntry* e = RATCHET_TRY(entry(path));
  const std::string what = fmt::format("{}{} in {}", prefix_, path, index_->archive.string());
  if (e->size > max_bytes)
    return fail(Code::TooLarge, "{}: {} bytes, more than {}", what, e->size, max_bytes);
  if (e->bytes) return *e->bytes;
  streaming::MemorySink bytes(max_bytes);
  ArchiveEntrySource source(index_, prefix_ + std::string(path));
  RATCHET_TRY(source.read_into(0, bytes));
  return bytes.data();
}

Status ArchiveFetcher::fetch_into(std::string_view path, streaming::Sink& sink) {
  requested_.emplace_back(path);
  const BundleEntry* e = RATCHET_TRY(entry(path));
  if (e->bytes) return sink.write(std::as_bytes(std::span(*e->bytes)));
  ArchiveEntrySource source(index_, prefix_ + std::string(path));
  return source.read_into(0, sink);
}

Result<BundleSources> open_bundle(const std::filesystem::path& path, const BundleLimits& limits) {
  BundleSources out;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    if (!std::filesystem::is_directory(path / "director", ec) ||
        !std::filesystem::is_directory(path / "image", ec))
      return fail(Code::BadBundle, "{}: not a bundle (no director/ and image/)", path.string());
    out.director = std::make_unique<tuf::DirectoryFetcher>(path / "director");
    out.image = std::make_unique<tuf::DirectoryFetcher>(path / "image");
    out.targets = std::make_unique<tuf::DirectoryFetcher>(path / "image" / "targets");
    out.target = [root = path / "image" / "targets"](const std::string& p) {
      return std::unique_ptr<streaming::Source>(std::make_unique<streaming::FileSource>(root / p));
    };
    return out;
  }
  if (!std::filesystem::exists(path, ec))
    return fail(Code::BadBundle, "{}: no such bundle", path.string());
  auto index = std::make_shared<const BundleIndex>(RATCHET_TRY(index_bundle(path, limits)));
  out.director = std::make_unique<ArchiveFetcher>(index, "director/");
  out.image = std::make_unique<ArchiveFetcher>(index, "image/");
  out.targets = std::make_unique<ArchiveFetcher>(index, "image/targets/");
  out.target = [index](const std::string& p) {
    return std::unique_ptr<streaming::Source>(
        std::make_unique<ArchiveEntrySource>(index, "image/targets/" + p));
  };
  out.index = std::move(index);
  return out;
}

}  // namespace ratchet::bundle
