// The operator's side of provisioning records (agent/provisioning/provisioning_record.hpp), from
// and to files: a provisioning key pair, and a record signed with it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "agent/tuf/keys.hpp"

namespace ratchet::repo {

struct RecordFiles {
  std::filesystem::path key;  // the provisioning private key (PEM)
  std::string device_id;
  std::uint64_t generation = 0;
  std::filesystem::path director_root;
  std::filesystem::path image_root;
  std::uint64_t security_version = 0;
  std::filesystem::path out;
};

// Signs a provisioning record for one device and generation, with the two roots as given.
[[nodiscard]] Status write_provisioning_record(const RecordFiles& files);

// A new provisioning key: the private key (PEM, 0600; refused when the file exists) and the
// keys.json devices are configured with (threshold 1).
[[nodiscard]] Status write_provisioning_keys(const std::filesystem::path& private_out,
                                             const std::filesystem::path& keys_out,
                                             tuf::KeyType type = tuf::KeyType::Ed25519);

}  // namespace ratchet::repo
