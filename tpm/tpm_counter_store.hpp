// CounterStore on TPM 2.0 NV counters (TPM_NT_COUNTER): the TPM itself refuses to lower them,
// even across undefine and redefine.
#pragma once

#include <memory>

#include "tpm/counter_store.hpp"
#include "tpm/tpm_connection.hpp"

namespace ratchet::tpm {

// Counter c lives at NV index config.counter_base + c (Epoch, ProvisioningGeneration,
// SecurityVersion in order).
class TpmCounterStore final : public CounterStore {
 public:
  explicit TpmCounterStore(std::shared_ptr<TpmConnection> tpm) : tpm_(std::move(tpm)) {}

  // Defines the index with owner auth if it is absent, and increments a never-written one. An
  // index at the handle that is not exactly ratchet's template is an error and is left alone.
  [[nodiscard]] Result<bool> define(Counter c) override;
  // NotProvisioned if the index is absent, StateMissing if it was defined but never incremented.
  [[nodiscard]] Result<std::uint64_t> read(Counter c) override;
  [[nodiscard]] Result<std::uint64_t> increment(Counter c) override;
  [[nodiscard]] bool hardware_anchored() const noexcept override { return true; }
  [[nodiscard]] std::string describe() const override { return tpm_->describe(); }

  [[nodiscard]] std::uint32_t nv_index(Counter c) const noexcept;

 private:
  // Reads the index's public area and checks it against the template; true if it was written.
  [[nodiscard]] Result<bool> check(Counter c, ESYS_TR tr);
  [[nodiscard]] Result<std::uint64_t> read_value(Counter c, ESYS_TR tr);

  std::shared_ptr<TpmConnection> tpm_;
};

}  // namespace ratchet::tpm
