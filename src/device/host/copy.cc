#include "device/host/copy.h"

#include <algorithm>
#include <cstring>

#include "core/env.h"
#include "device/host/copy_simd.h"

namespace chorus::host {

Bytes StreamingThreshold() {
  static const Bytes threshold = static_cast<Bytes>(std::max<int64_t>(0, EnvInt("CHORUS_NT_STORE_BYTES", int64_t{16} << 20)));
  return threshold;
}

void Copy(void* dst, const void* src, Bytes n, Store store) {
  if (n == 0) return;
#if defined(CHORUS_HAVE_HWY)
  // Below a few pages the alignment head and the fence cost more than the stores save.
  if (store == Store::kStreamed && n >= 4096) {
    internal::CopyStreamingSimd(dst, src, n);
    return;
  }
#endif
  std::memcpy(dst, src, n);
}

void CopyPair(void* d1, const void* s1, Bytes n1, Store store1, void* d2, const void* s2, Bytes n2) {
#if defined(CHORUS_HAVE_HWY)
  // The common length in one loop; below a few pages it has nothing to overlap.
  if (const Bytes both = std::min(n1, n2); both >= 4096) {
    internal::CopyPairSimd(d1, s1, d2, s2, both, store1 == Store::kStreamed);
    d1 = static_cast<char*>(d1) + both, s1 = static_cast<const char*>(s1) + both, n1 -= both;
    d2 = static_cast<char*>(d2) + both, s2 = static_cast<const char*>(s2) + both, n2 -= both;
  }
#endif
  Copy(d1, s1, n1, store1);
  Copy(d2, s2, n2, Store::kCached);
}

}  // namespace chorus::host
