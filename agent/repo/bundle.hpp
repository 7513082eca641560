// A USB bundle for one device: everything it needs to update without a network.
//
//   PATH/director/    a copy of REPO/director/<device>/
//   PATH/image/       the Image repository's metadata, and under targets/ only the payloads and
//                     chunk lists the device's Director targets name (a delta's base only when it
//                     is assigned itself)
//   PATH/bundle.json  {"device": ID, "created": "<UTC>"}: informational, never trusted
//
// PATH ending in ".tar" is the same tree as a POSIX ustar archive. The device verifies
// everything in it exactly as it would over the network.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "agent/repo/operator_repo.hpp"

namespace ratchet::repo {

struct BundleEntry {
  std::string path;              // inside the bundle, '/'-separated
  std::filesystem::path source;  // a file to copy; empty for bundle.json
  std::string content;           // bundle.json's bytes
};

// What goes into the bundle (files only; directories follow from their paths), sorted by path.
[[nodiscard]] Result<std::vector<BundleEntry>> plan_bundle(const RepoPaths& paths,
                                                           const std::string& device);

// Writes the bundle (refused when `out` exists); a failed write leaves nothing under `out`.
[[nodiscard]] Status write_bundle(const std::filesystem::path& root, const std::string& device,
                                  const std::filesystem::path& out);

}  // namespace ratchet::repo
