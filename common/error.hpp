// Error values that cross module boundaries: a stable code plus a message naming what was at fault.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ratchet {

// What a caller (and in the end a systemd timer or a shell script) can do about an error.
enum class ErrorKind : std::uint8_t {
  Usage,      // bad command line or configuration: fix the invocation
  Security,   // rejected by verification: an attack or a broken repository; never retried blindly
  Transient,  // network or server trouble: retry later
  Local,      // this device: disk, TPM, boot environment, state
  Internal,   // a bug in ratchet
};

// Every code is a stable, public name: the CLI prints `error: <Name>: <message>` and outside test
// suites match on it. Append new codes; never rename or reuse one.
#define RATCHET_ERROR_CODES(X)                 \
  X(InvalidArgument, Usage)                    \
  X(BadConfig, Usage)                          \
  X(Io, Local)                                 \
  X(NotFound, Local)                           \
  X(OutOfSpace, Local)                         \
  X(Busy, Local)                               \
  X(Unsupported, Local)                        \
  X(Internal, Internal)                        \
  X(Crypto, Internal)                          \
  /* transport */                              \
  X(Network, Transient)                        \
  X(HttpStatus, Transient)                     \
  X(SlowRetrieval, Transient)                  \
  /* verification of bytes */                  \
  X(TooLarge, Security)                        \
  X(LengthMismatch, Security)                  \
  X(HashMismatch, Security)                    \
  X(ChunkMismatch, Security)                   \
  X(BadCompression, Security)                  \
  X(BadReference, Local)                       \
  /* TUF / Uptane metadata */                  \
  X(BadMetadata, Security)                     \
  X(BadSignature, Security)                    \
  X(ThresholdNotMet, Security)                 \
  X(ExpiredMetadata, Security)                 \
  X(RollbackAttempt, Security)                 \
  X(VersionMismatch, Security)                 \
  X(BadKey, Security)                          \
  X(RootRotationLimit, Security)               \
  X(DelegationLimit, Security)                 \
  X(TargetNotFound, Security)                  \
  X(DirectorImageMismatch, Security)           \
  X(BadHardwareId, Security)                   \
  X(BadEcuSerial, Security)                    \
  X(DuplicateEcu, Security)                    \
  X(ReleaseCounterRollback, Security)          \
  /* anti-rollback state and provisioning */   \
  X(StateRollback, Security)                   \
  X(StateMissing, Security)                    \
  X(StateForged, Security)                     \
  X(BadProvisioningRecord, Security)           \
  X(ProvisioningReplay, Security)              \
  X(WrongDevice, Security)                     \
  X(NotProvisioned, Local)                     \
  X(Tpm, Local)                                \
  /* boot control */                           \
  X(BootEnv, Local)                            \
  X(HealthCheckFailed, Local)                  \
  X(BootedSlotUnknown, Local)                  \
  X(SlotMismatch, Local)                       \
  /* offline bundles: not a bundle (exit 2) */ \
  X(BadBundle, Usage)

enum class Code : std::uint16_t {
#define RATCHET_X(name, kind) name,
  RATCHET_ERROR_CODES(RATCHET_X)
#undef RATCHET_X
};

[[nodiscard]] std::string_view code_name(Code code) noexcept;
[[nodiscard]] ErrorKind code_kind(Code code) noexcept;

class Error {
 public:
  Error(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  [[nodiscard]] Code code() const noexcept { return code_; }
  [[nodiscard]] ErrorKind kind() const noexcept { return code_kind(code_); }
  [[nodiscard]] std::string_view name() const noexcept { return code_name(code_); }
  [[nodiscard]] const std::string& message() const noexcept { return message_; }

  // Prefixes the message with where the error was met ("targets.json: "), keeping the code.
  Error& context(std::string_view where);

  // "<Name>: <message>", the form the CLI prints after "error: ".
  [[nodiscard]] std::string to_string() const;

  friend bool operator==(const Error&, const Error&) = default;

 private:
  Code code_;
  std::string message_;
};

}  // namespace ratchet
