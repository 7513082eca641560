// Where `ratchet install` reads a bundle from: a directory (director/, image/, image/targets/) or
// one archive file, read in place (a stick mounted read-only is enough; nothing is unpacked).
// The archive's metadata is served from memory; each image streams from the archive.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "agent/bundle/bundle_index.hpp"
#include "agent/tuf/fetcher.hpp"
#include "streaming/source.hpp"

namespace ratchet::bundle {

// One entry of an indexed archive as a resumable source: read at its offset when the archive is
// uncompressed, decompressed from the archive's start (the bytes before `offset` discarded) when
// it is not.
class ArchiveEntrySource final : public streaming::Source {
 public:
  ArchiveEntrySource(std::shared_ptr<const BundleIndex> index, std::string name)
      : index_(std::move(index)), name_(std::move(name)) {}
  [[nodiscard]] Status read_into(std::uint64_t offset, streaming::Sink& sink) override;
  [[nodiscard]] std::string describe() const override;

 private:
  std::shared_ptr<const BundleIndex> index_;
  std::string name_;
};

// A repository inside the archive: the entries under `prefix` ("director/", "image/", ...).
class ArchiveFetcher final : public tuf::Fetcher {
 public:
  ArchiveFetcher(std::shared_ptr<const BundleIndex> index, std::string prefix)
      : index_(std::move(index)), prefix_(std::move(prefix)) {}
  [[nodiscard]] Result<std::string> fetch(std::string_view path, std::uint64_t max_bytes) override;
  [[nodiscard]] Status fetch_into(std::string_view path, streaming::Sink& sink) override;

 private:
  [[nodiscard]] Result<const BundleEntry*> entry(std::string_view path) const;
  std::shared_ptr<const BundleIndex> index_;
  std::string prefix_;
};

struct BundleSources {
  std::unique_ptr<tuf::Fetcher> director;
  std::unique_ptr<tuf::Fetcher> image;
  std::unique_ptr<tuf::Fetcher> targets;  // image/targets/: chunk lists and other small files
  std::function<std::unique_ptr<streaming::Source>(const std::string& path)> target;
  std::shared_ptr<const BundleIndex> index;  // null for a directory bundle
};

// BadBundle when `path` is neither a bundle directory nor a readable bundle archive.
[[nodiscard]] Result<BundleSources> open_bundle(const std::filesystem::path& path,
                                                const BundleLimits& limits);

}  // namespace ratchet::bundle
