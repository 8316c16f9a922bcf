// Entry points of the host kernels: reject what the contract excludes, then run the Highway
// kernels (run-time dispatched) when Chorus was built with Highway, the scalar ones otherwise.
#include "device/host/reduce.h"

#include "device/host/reduce_scalar.h"
#include "device/host/reduce_simd.h"

namespace chorus::host {

void Reduce(void* dst, const void* a, const void* b, Count count, DataType type, ReduceOp op) {
  if (count == 0 || !IsValid(type) || !IsValid(op) || op == ReduceOp::kAvg) return;
#if defined(CHORUS_HAVE_HWY)
  internal::ReduceSimd(dst, a, b, count, type, op);
#else
  internal::ReduceScalar(dst, a, b, count, type, op);
#endif
}

void DivideBy(void* data, Count count, DataType type, int divisor) {
  if (count == 0 || !IsValid(type) || divisor < 1) return;
#if defined(CHORUS_HAVE_HWY)
  internal::DivideBySimd(data, count, type, divisor);
#else
  internal::DivideByScalar(data, count, type, divisor);
#endif
}

}  // namespace chorus::host
