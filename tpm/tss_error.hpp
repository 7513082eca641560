// tpm2-tss return codes as ratchet errors.
#pragma once

#include <string_view>

#include <tss2/tss2_common.h>

#include "common/error.hpp"

namespace ratchet::tpm {

// Code::Tpm, with the call that failed, the hex code and tss2-rc's decoded text.
[[nodiscard]] Error tss_error(std::string_view call, TSS2_RC rc);

// The TPM format-one/format-zero base code (layer and parameter/handle/session number masked off),
// so a caller can test for e.g. TPM2_RC_NV_RATE whichever layer or parameter reported it.
[[nodiscard]] TSS2_RC tpm_base_rc(TSS2_RC rc) noexcept;

}  // namespace ratchet::tpm
