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

}  // namespace chorus::host
