// Entry points of the host kernels: validate, then hand the work to the scalar kernels.
#include "device/host/reduce.h"

#include "device/host/reduce_scalar.h"

namespace chorus::host {

void Reduce(void* dst, const void* a, const void* b, Count count, DataType type, ReduceOp op) {
  if (count == 0 || !IsValid(type) || !IsValid(op) || op == ReduceOp::kAvg) return;
  internal::ReduceScalar(dst, a, b, count, type, op);
}

void DivideBy(void* data, Count count, DataType type, int divisor) {
  if (count == 0 || !IsValid(type) || divisor < 1) return;
  internal::DivideByScalar(data, count, type, divisor);
}

}  // namespace chorus::host
