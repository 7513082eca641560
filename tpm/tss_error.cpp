#include "tpm/tss_error.hpp"

#include <fmt/format.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tpm2_types.h>

namespace ratchet::tpm {

Error tss_error(std::string_view call, TSS2_RC rc) {
  const char* text = Tss2_RC_Decode(rc);
  return Error(Code::Tpm, fmt::format("{}: 0x{:x} ({})", call, rc, text != nullptr ? text : "?"));
}

TSS2_RC tpm_base_rc(TSS2_RC rc) noexcept {
  const TSS2_RC code = rc & 0xFFFFu;  // drop the TSS layer
  if ((code & TPM2_RC_FMT1) != 0) return (code & 0x3Fu) | TPM2_RC_FMT1;
  return code & 0xD7Fu;  // format zero: error number, version, vendor and severity bits
}

}  // namespace ratchet::tpm
