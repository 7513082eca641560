// The device's ECU signing key (ECDSA P-256): signs the ECU version manifest. A persistent key in
// the TPM where there is one (the private half never leaves it), else a 0600 PEM file.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace ratchet::tpm {

class SigningKey {
 public:
  SigningKey() = default;
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;
  virtual ~SigningKey() = default;

  // Factory enrollment; idempotent. True if it created the key.
  [[nodiscard]] virtual Result<bool> create() = 0;

  // SubjectPublicKeyInfo PEM of the P-256 public key. NotProvisioned if there is no key.
  [[nodiscard]] virtual Result<std::string> public_key_pem() = 0;

  // ECDSA over SHA-256(message), DER-encoded (what TUF's ecdsa-sha2-nistp256 scheme carries).
  [[nodiscard]] virtual Result<std::vector<std::uint8_t>> sign(
      std::span<const std::uint8_t> message) = 0;

  [[nodiscard]] virtual bool hardware_backed() const noexcept = 0;
  [[nodiscard]] virtual std::string describe() const = 0;
};

}  // namespace ratchet::tpm
