// The streaming copy, compiled per instruction set with Highway and dispatched at run time.
// Defined only when Chorus is built with Highway (CHORUS_HAVE_HWY).
#pragma once

#include "core/types.h"

namespace chorus::host::internal {

// dst = src (no overlap), the body written with non-temporal stores; ends with a store fence so
// that the bytes are visible to other cores before the caller publishes them.
void CopyStreamingSimd(void* dst, const void* src, Bytes n);

}  // namespace chorus::host::internal
