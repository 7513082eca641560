// StateKey for devices without a TPM: 32 random bytes in a 0600 file. Whoever can read the file
// can forge the state, so the floors it guards are only as safe as the file system.
#pragma once

#include <filesystem>

#include "tpm/state_key.hpp"

namespace ratchet::tpm {

class FileStateKey final : public StateKey {
 public:
  explicit FileStateKey(std::filesystem::path path) : path_(std::move(path)) {}

  [[nodiscard]] Result<bool> create() override;
  [[nodiscard]] Result<Mac> mac(const Digest& digest) override;
  [[nodiscard]] bool hardware_anchored() const noexcept override { return false; }
  [[nodiscard]] std::string describe() const override { return "file " + path_.string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace ratchet::tpm
