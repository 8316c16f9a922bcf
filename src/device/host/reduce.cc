// Entry points of the host kernels: reject what the contract excludes, then run the Highway
// kernels (run-time dispatched) when Chorus was built with Highway, the scalar ones otherwise.
#include "device/host/reduce.h"

#include "core/env.h"
#include "device/host/reduce_scalar.h"
#include "device/host/reduce_simd.h"

namespace chorus::host {
namespace {

}  // namespace

// Out-of-place results at least StreamingThreshold() large are written with streaming stores:
// they cannot stay in the caches anyway, and skipping the read-for-ownership of dst saves a
// quarter of the memory traffic of dst = a + b. Smaller results stay cached for whoever reads
// them next (the next send or copy), and in-place results (dst == a or b) gain nothing: their
// lines were just read.
void Reduce(void* dst, const void* a, const void* b, Count count, DataType type, ReduceOp op) {
  const Bytes threshold = StreamingThreshold();
  const bool stream = threshold > 0 && count * SizeOf(type) >= threshold && dst != a && dst != b;
  Reduce(dst, a, b, count, type, op, stream ? Store::kStreamed : Store::kCached);
}

void Reduce(void* dst, const void* a, const void* b, Count count, DataType type, ReduceOp op, Store store) {
  if (count == 0 || !IsValid(type) || !IsValid(op) || op == ReduceOp::kAvg) return;
#if defined(CHORUS_HAVE_HWY)
  // A few elements (a small call's whole payload): the vector kernel's dispatch and stack-buffer
  // tail cost more than the arithmetic. Both kernels give the same bits (NaN payloads aside).
  if (count * SizeOf(type) <= 64) {
    internal::ReduceScalar(dst, a, b, count, type, op);
    return;
  }
  internal::ReduceSimd(dst, a, b, count, type, op, store == Store::kStreamed);
#else
  (void)store;
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
