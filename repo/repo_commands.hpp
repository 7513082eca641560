// What the ratchet-repo sub-commands do to a REPO (see operator_repo.hpp for its layout). Each
// call opens and locks REPO, changes it, publishes and saves; nothing is published on failure.
//
// The payload target's custom metadata, which the device side reads:
//   {"hardwareIds": [...], "releaseCounter": N,
//    "ratchet": {"format": "raw|zstd|delta", "image": {"length": L, "sha256": "<hex>"},
//                "chunks": {"name": "NAME.chunks", "length": L, "sha256": "<hex>"},
//                "securityVersion": N,
//                "deltaBase": {"name": "BASE", "length": L, "sha256": "<hex of the base image>"}}}
// ("deltaBase" for deltas only). The chunk-list target NAME.chunks has {"hardwareIds": [...]}.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "repo/operator_repo.hpp"
#include "repo/payload_builder.hpp"

namespace ratchet::repo {

struct AddTargetRequest {
  std::filesystem::path image;
  std::string name;
  std::vector<std::string> hardware_ids;
  std::uint64_t release_counter = 0;
  std::uint64_t security_version = 0;
  PayloadFormat format = PayloadFormat::Raw;
  std::string delta_base;  // Delta: a target already in the Image repository
  std::uint32_t chunk_size = 1u << 20;
  std::string role = "targets";  // or a delegated role covering NAME and NAME.chunks
};

struct Assignment {
  std::string ecu_serial;
  std::string hardware_id;
  std::string target;
};

[[nodiscard]] Status add_target(const std::filesystem::path& root, const AddTargetRequest& request);

// Sets the device's Director targets to exactly `assignments` (creating its repository first).
[[nodiscard]] Status assign(const std::filesystem::path& root, const std::string& device,
                            const std::vector<Assignment>& assignments);

// The Director targets that `assignments` make (each target checked against the Image
// repository and the ECU's hardware ID); shared by assign and a bundle's own assignment.
[[nodiscard]] Result<tuf::Json> director_targets(OperatorRepo& repo,
                                                 const std::vector<Assignment>& assignments);
// `targets` for the ECUs of `device` their hardware IDs fit (the ECUs its Director names now).
[[nodiscard]] Result<std::vector<Assignment>> assignments_for(
    OperatorRepo& repo, const std::string& device, const std::vector<std::string>& targets);

// A new key for a top-level role of the Image repository (no device) or of a device's Director;
// a new root version, signed by the old and the new root keys.
[[nodiscard]] Status rotate_key(const std::filesystem::path& root,
                                const std::optional<std::string>& device, const std::string& role);

// A delegated targets role of the Image repository, trusted for `paths` (TUF glob patterns).
[[nodiscard]] Status delegate(const std::filesystem::path& root, const std::string& role,
                              const std::vector<std::string>& paths);

// A target name: a relative path without empty, "." or ".." segments.
[[nodiscard]] Status check_target_name(const std::string& name);

}  // namespace ratchet::repo
