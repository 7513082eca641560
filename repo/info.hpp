// `ratchet-repo info BUNDLE|REPO`: what a bundle or a repository holds, as its files say (the
// metadata is read, not verified: `ratchet install --dry-run` is the device's verdict).
#pragma once

#include <filesystem>

#include "agent/tuf/canonical_json.hpp"
#include "common/result.hpp"

namespace ratchet::repo {

// {"kind": "bundle"|"repository", "archive": {...}?, "device": ...?,
//  "directors": {DEVICE: {"targets_version", "expires", "root_version", "ecus": {SERIAL:
//  {"hardware_id", "target"}}}}, "image": {"root_version", "timestamp_version", "snapshot_version",
//  "targets_version", "expires": {ROLE: TIME}, "targets": {NAME: {"format", "image_length",
//  "length", "hardware_ids", "release_counter", "security_version", "in_bundle"}}}}
[[nodiscard]] Result<tuf::Json> describe(const std::filesystem::path& path);

// The same as lines a person reads.
[[nodiscard]] std::string describe_text(const tuf::Json& info);

}  // namespace ratchet::repo
