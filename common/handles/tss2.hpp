// Owning handles for tpm2-tss: the TCTI loader context, the ESAPI context and ESAPI-allocated
// results (which must go back through Esys_Free).
#pragma once

#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

#include "common/handle.hpp"

namespace ratchet::tss2 {

using Tcti = HandleByAddress<TSS2_TCTI_CONTEXT, Tss2_TctiLdr_Finalize>;
using Esys = HandleByAddress<ESYS_CONTEXT, Esys_Finalize>;

template <class T>
using EsysPtr = Handle<T, Esys_Free>;

}  // namespace ratchet::tss2
