// SigningKey in the TPM: a persistent ECDSA P-256 key derived from the owner seed; the private
// half never leaves the TPM.
#pragma once

#include <memory>

#include "tpm/signing_key.hpp"
#include "tpm/tpm_connection.hpp"

namespace ratchet::tpm {

// The key lives at config.signing_key_handle (owner persistent range).
class TpmSigningKey final : public SigningKey {
 public:
  explicit TpmSigningKey(std::shared_ptr<TpmConnection> tpm) : tpm_(std::move(tpm)) {}

  // An object at the handle that is not ratchet's signing key is an error and is never evicted.
  [[nodiscard]] Result<bool> create() override;
  [[nodiscard]] Result<std::string> public_key_pem() override;
  [[nodiscard]] Result<std::vector<std::uint8_t>> sign(
      std::span<const std::uint8_t> message) override;
  [[nodiscard]] bool hardware_backed() const noexcept override { return true; }
  [[nodiscard]] std::string describe() const override;

 private:
  // The key's public area, checked against the template.
  [[nodiscard]] Result<tss2::EsysPtr<TPM2B_PUBLIC>> checked_public();

  std::shared_ptr<TpmConnection> tpm_;
};

}  // namespace ratchet::tpm
