#include "agent/cli/exit_code.hpp"

namespace ratchet::cli {

ExitCode exit_code_for(const Error& error) noexcept {
  if (error.code() == Code::Busy) return ExitCode::Busy;
  switch (error.kind()) {
    case ErrorKind::Usage:
      return ExitCode::Usage;
    case ErrorKind::Security:
      return ExitCode::Security;
    case ErrorKind::Transient:
      return ExitCode::Transient;
    case ErrorKind::Local:
      return ExitCode::Local;
    case ErrorKind::Internal:
      return ExitCode::Internal;
  }
  return ExitCode::Internal;
}

}  // namespace ratchet::cli
