// SigningKey for devices without a TPM: an ECDSA P-256 private key in a 0600 PEM file. Anyone who
// can read it can sign manifests as this ECU; creating one logs a warning saying so.
#pragma once

#include <filesystem>

#include "tpm/signing_key.hpp"

namespace ratchet::tpm {

class FileSigningKey final : public SigningKey {
 public:
  explicit FileSigningKey(std::filesystem::path path) : path_(std::move(path)) {}

  [[nodiscard]] Result<bool> create() override;
  [[nodiscard]] Result<std::string> public_key_pem() override;
  [[nodiscard]] Result<std::vector<std::uint8_t>> sign(
      std::span<const std::uint8_t> message) override;
  [[nodiscard]] bool hardware_backed() const noexcept override { return false; }
  [[nodiscard]] std::string describe() const override { return "file " + path_.string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace ratchet::tpm
