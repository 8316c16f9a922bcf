// Highway kernels with run-time dispatch to the best instruction set the CPU has. Defined only
// when Chorus is built with Highway (CHORUS_HAVE_HWY); reduce.cc calls them then.
#pragma once

#include <cstdint>

#include "core/types.h"

namespace chorus::host::internal {

// Same contracts as Reduce and DivideBy in reduce.h (op != kAvg, divisor >= 1). `nontemporal`
// writes dst with streaming stores (bypassing the caches) where its alignment allows.
void ReduceSimd(void* dst, const void* a, const void* b, Count count, DataType type, ReduceOp op,
                bool nontemporal = false);
void DivideBySimd(void* data, Count count, DataType type, int divisor);

// The instruction set the dispatcher picks now (e.g. "AVX2"), and the set compiled in (a mask of
// Highway's HWY_* target bits) so that tests can force each one in turn.
const char* SimdTargetName();
int64_t SimdCompiledTargets();

}  // namespace chorus::host::internal
