// The key that authenticates the agent's rollback state: resident in the TPM where there is one
// (it never leaves it and dies with TPM2_Clear), else a file. Only its MAC is ever exposed.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "common/result.hpp"

namespace ratchet::tpm {

using Mac = std::array<std::uint8_t, 32>;
using Digest = std::array<std::uint8_t, 32>;

class StateKey {
 public:
  StateKey() = default;
  StateKey(const StateKey&) = delete;
  StateKey& operator=(const StateKey&) = delete;
  virtual ~StateKey() = default;

  // Factory enrollment; idempotent. True if it created the key.
  [[nodiscard]] virtual Result<bool> create() = 0;

  // HMAC-SHA256 of a SHA-256 digest of the state (the TPM's HMAC input is small, so callers hash
  // first). NotProvisioned if the key does not exist.
  [[nodiscard]] virtual Result<Mac> mac(const Digest& digest) = 0;

  [[nodiscard]] virtual bool hardware_anchored() const noexcept = 0;
  [[nodiscard]] virtual std::string describe() const = 0;
};

}  // namespace ratchet::tpm
