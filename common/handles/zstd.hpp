// Owning handles for libzstd contexts.
#pragma once

#include <zstd.h>

#include "common/handle.hpp"

namespace ratchet::zstd {

using DCtx = Handle<ZSTD_DCtx, ZSTD_freeDCtx>;
using CCtx = Handle<ZSTD_CCtx, ZSTD_freeCCtx>;

}  // namespace ratchet::zstd
