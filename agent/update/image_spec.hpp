// How to install a target, from the Image repository's signed custom metadata
// (custom.ratchet, written by ratchet-repo add-target):
//   {"format": "raw|zstd|delta", "image": {"length", "sha256"}, "chunks": {"name", "length",
//    "sha256"}, "securityVersion": N, "deltaBase": {"name", "length", "sha256"}}
// Without it, a target is a raw image whose payload digests are the image digests.
#pragma once

#include <optional>
#include <string>

#include "agent/tuf/metadata.hpp"
#include "streaming/install.hpp"

namespace ratchet::update {

// NOLINTNEXTLINE(bugprone-exception-escape)
struct FileRef {
  std::string name;
  std::uint64_t length = 0;
  streaming::ExpectedDigests digests;
};

// NOLINTNEXTLINE(bugprone-exception-escape)
struct ImageSpec {
  streaming::PayloadFormat format = streaming::PayloadFormat::Raw;
  std::uint64_t image_length = 0;
  streaming::ExpectedDigests image_digests;
  std::optional<FileRef> chunks;
  std::optional<FileRef> delta_base;
  std::uint64_t security_version = 0;
  // (The release counter is not here: it is verification's, uptane::EcuTarget::release_counter.)
};

// BadMetadata naming the target and field at fault; every length bounded by `max_image`.
[[nodiscard]] Result<ImageSpec> image_spec(const std::string& name, const tuf::TargetFile& target,
                                           std::uint64_t max_image);

}  // namespace ratchet::update
