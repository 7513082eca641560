// CounterStore for devices without a TPM: one small file per counter, replaced atomically.
#pragma once

#include <filesystem>

#include "tpm/counter_store.hpp"

namespace ratchet::tpm {

class FileCounterStore final : public CounterStore {
 public:
  explicit FileCounterStore(std::filesystem::path dir) : dir_(std::move(dir)) {}

  [[nodiscard]] Result<std::uint64_t> read(Counter c) override;
  [[nodiscard]] Result<std::uint64_t> increment(Counter c) override;
  [[nodiscard]] bool hardware_anchored() const noexcept override { return false; }
  [[nodiscard]] std::string describe() const override;

 private:
  [[nodiscard]] std::filesystem::path path_of(Counter c) const;
  std::filesystem::path dir_;
};

}  // namespace ratchet::tpm
