// Entry points of the host kernels: reject what the contract excludes, then run the Highway
// kernels (run-time dispatched) when Chorus was built with Highway, the scalar ones otherwise.
#include "device/host/reduce.h"

#include "core/env.h"
#include "device/host/reduce_scalar.h"
#include "device/host/reduce_simd.h"

namespace chorus::host {
namespace {

#if defined(CHORUS_HAVE_HWY)
// Out-of-place results at least this large are written with streaming stores: they cannot stay
// in the caches anyway, and skipping the read-for-ownership of dst saves a quarter of the memory
// traffic of dst = a + b. Smaller results stay cached for whoever reads them next (the next send
// or copy), and in-place results (dst == a or b) gain nothing: their lines were just read.
Bytes NontemporalThreshold() {
  static const Bytes threshold = static_cast<Bytes>(EnvInt("CHORUS_REDUCE_NT_BYTES", int64_t{16} << 20));
  return threshold;
}
#endif

}  // namespace

void Reduce(void* dst, const void* a, const void* b, Count count, DataType type, ReduceOp op) {
  if (count == 0 || !IsValid(type) || !IsValid(op) || op == ReduceOp::kAvg) return;
#if defined(CHORUS_HAVE_HWY)
  const Bytes threshold = NontemporalThreshold();
  const bool nontemporal = threshold > 0 && count * SizeOf(type) >= threshold && dst != a && dst != b;
  internal::ReduceSimd(dst, a, b, count, type, op, nontemporal);
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
