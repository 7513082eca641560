// CounterStore for devices without a TPM: one small file per counter, replaced atomically. Only
// as safe as the file system: keep the directory apart from the state it guards (another
// partition), and `ratchet status` says the floors are not hardware-anchored.
#pragma once

#include <filesystem>

#include "tpm/counter_store.hpp"

namespace ratchet::tpm {

class FileCounterStore final : public CounterStore {
 public:
  explicit FileCounterStore(std::filesystem::path dir) : dir_(std::move(dir)) {}

  [[nodiscard]] Result<bool> define(Counter c) override;
  [[nodiscard]] Result<std::uint64_t> read(Counter c) override;
  [[nodiscard]] Result<std::uint64_t> increment(Counter c) override;
  [[nodiscard]] bool hardware_anchored() const noexcept override { return false; }
  [[nodiscard]] std::string describe() const override;

 private:
  [[nodiscard]] std::filesystem::path path_of(Counter c) const;
  std::filesystem::path dir_;
};

}  // namespace ratchet::tpm
