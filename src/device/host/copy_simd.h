// The streaming copy, compiled per instruction set with Highway and dispatched at run time.
// Defined only when Chorus is built with Highway (CHORUS_HAVE_HWY).
#pragma once

#include "core/types.h"

namespace chorus::host::internal {

// dst = src (no overlap), the body written with non-temporal stores; ends with a store fence so
// that the bytes are visible to other cores before the caller publishes them.
void CopyStreamingSimd(void* dst, const void* src, Bytes n);
// d1 = s1 and d2 = s2 (n bytes each, no overlaps) in one interleaved loop; d1 streamed when
// `stream1` (then fenced like CopyStreamingSimd), d2 always with plain stores.
void CopyPairSimd(void* d1, const void* s1, void* d2, const void* s2, Bytes n, bool stream1);

}  // namespace chorus::host::internal
