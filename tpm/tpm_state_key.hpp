// StateKey in the TPM: a persistent HMAC-SHA256 key derived from the owner seed. It never leaves
// the TPM and dies with TPM2_Clear, so a copied state blob cannot be re-MACed elsewhere.
#pragma once

#include <memory>

#include "tpm/state_key.hpp"
#include "tpm/tpm_connection.hpp"

namespace ratchet::tpm {

// The key lives at config.state_key_handle (owner persistent range).
class TpmStateKey final : public StateKey {
 public:
  explicit TpmStateKey(std::shared_ptr<TpmConnection> tpm) : tpm_(std::move(tpm)) {}

  // An object at the handle that is not ratchet's HMAC key is an error and is never evicted.
  [[nodiscard]] Result<bool> create() override;
  [[nodiscard]] Result<Mac> mac(const Digest& digest) override;
  [[nodiscard]] bool hardware_anchored() const noexcept override { return true; }
  [[nodiscard]] std::string describe() const override;

 private:
  [[nodiscard]] Status check();

  std::shared_ptr<TpmConnection> tpm_;
};

}  // namespace ratchet::tpm
