// A USB bundle for one device: everything it needs to update without a network.
//
//   PATH/director/    a copy of REPO/director/<device>/
//   PATH/image/       the Image repository's metadata, and under targets/ only the payloads and
//                     chunk lists the device's Director targets name (a delta's base only when it
//                     is assigned itself)
//   PATH/bundle.json  {"device": ID, "created": "<UTC>"}: informational, never trusted
//
// PATH ending in ".tar" is the same tree as a POSIX ustar archive (`ratchet install` also reads
// pax, GNU and zstd/gzip/xz-compressed tars of it, as an operator may repack it). The device
// verifies everything in it exactly as it would over the network.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "repo/operator_repo.hpp"
#include "repo/repo_commands.hpp"

namespace ratchet::repo {

struct BundleEntry {
  std::string path;              // inside the bundle, '/'-separated
  std::filesystem::path source;  // a file to copy; empty for bundle.json
  std::string content;           // bundle.json's bytes
};

// What goes into the bundle (files only; directories follow from their paths), sorted by path:
// the Director repository in `director_dir` and what its targets name.
[[nodiscard]] Result<std::vector<BundleEntry>> plan_bundle(
    const RepoPaths& paths, const std::string& device, const std::filesystem::path& director_dir);

struct BundleSummary {
  std::size_t files = 0;
  std::uint64_t bytes = 0;
  std::vector<std::string> targets;  // the Director targets the bundle carries
  std::uint64_t director_version = 0;
  bool own_director_targets = false;  // signed for this bundle (`--target`), not the online ones
};

// Writes the bundle (refused when `out` exists); a failed write leaves nothing under `out`.
// Without `assignments` the bundle carries the device's online Director targets. With them it
// carries Director targets signed for the bundle alone, at the next version (reserved, so the
// online Director never signs that version again); what is published online does not change.
[[nodiscard]] Result<BundleSummary> write_bundle(const std::filesystem::path& root,
                                                 const std::string& device,
                                                 const std::filesystem::path& out,
                                                 const std::vector<Assignment>& assignments = {});

}  // namespace ratchet::repo
