// Monotonic counters that anchor the rollback floors: NV counters in a TPM, or a file on devices
// without one (then the floors are only as safe as the file system).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace ratchet::tpm {

enum class Counter : std::uint8_t {
  Epoch,                   // binds the whole authenticated rollback state
  ProvisioningGeneration,  // how many provisioning records this device has accepted
  SecurityVersion,         // OS image floor, advanced only after a confirmed boot
};

[[nodiscard]] std::string_view counter_name(Counter c) noexcept;

class CounterStore {
 public:
  CounterStore() = default;
  CounterStore(const CounterStore&) = delete;
  CounterStore& operator=(const CounterStore&) = delete;
  virtual ~CounterStore() = default;

  // Factory enrollment: creates the counter if it does not exist and increments it once (a TPM
  // NV counter is unreadable until then). True if it created it; false if it was already there
  // (an existing counter whose attributes are not ratchet's is an error, never redefined).
  [[nodiscard]] virtual Result<bool> define(Counter c) = 0;

  // The current value: opaque, only ever grows, and after a delete/redefine never comes back
  // lower. NotProvisioned if the counter was never defined.
  [[nodiscard]] virtual Result<std::uint64_t> read(Counter c) = 0;

  // Adds exactly one and returns the new value. NotProvisioned if the counter was never defined.
  [[nodiscard]] virtual Result<std::uint64_t> increment(Counter c) = 0;

  // False when the counters live in ordinary storage that whoever controls the disk can rewrite.
  [[nodiscard]] virtual bool hardware_anchored() const noexcept = 0;

  // For `ratchet status`: "tpm2 swtpm:path=..." or "file /var/lib/ratchet/counters".
  [[nodiscard]] virtual std::string describe() const = 0;
};

}  // namespace ratchet::tpm
