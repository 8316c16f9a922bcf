// Portable element-by-element kernels: the reference behaviour of reduce.h, the whole
// implementation when Highway is absent, and the path for the float8 types.
#pragma once

#include "core/types.h"

namespace chorus::host::internal {

// Same contracts as Reduce and DivideBy in reduce.h.
void ReduceScalar(void* dst, const void* a, const void* b, Count count, DataType type, ReduceOp op);
void DivideByScalar(void* data, Count count, DataType type, int divisor);

}  // namespace chorus::host::internal
