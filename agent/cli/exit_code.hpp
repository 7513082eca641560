// Process exit codes: stable, documented in docs/cli.md, and what a timer unit or script acts on.
#pragma once

#include <cstdint>

#include "common/error.hpp"

namespace ratchet::cli {

enum class ExitCode : std::uint8_t {
  Ok = 0,             // done; for `update`: nothing to do
  Failure = 1,        // generic failure (the contract of ratchet-tuf and `ratchet fetch`)
  Usage = 2,          // bad command line or configuration
  RebootNeeded = 10,  // an update was installed; reboot to try it
  Transient = 20,     // network or server trouble: retry later
  Security = 30,      // rejected by verification (the error code says which check)
  Local = 40,         // this device: disk, TPM, boot environment, state
  Busy = 41,          // another ratchet run holds the lock
  Internal = 70,      // a bug (EX_SOFTWARE)
};

[[nodiscard]] ExitCode exit_code_for(const Error& error) noexcept;

}  // namespace ratchet::cli
