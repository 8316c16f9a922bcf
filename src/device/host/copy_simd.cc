// foreach_target.h re-includes this file once per instruction set; HWY_DYNAMIC_DISPATCH picks one.
#if defined(CHORUS_HAVE_HWY)

#include "device/host/copy_simd.h"

#include <cstdint>
#include <algorithm>
#include <cstring>

#include <hwy/cache_control.h>

#ifndef HWY_DISABLED_TARGETS
#define HWY_DISABLED_TARGETS (HWY_AVX3_DL | HWY_SSSE3)
#endif

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "device/host/copy_simd.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace chorus::host::internal {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

void CopyStreamingImpl(uint8_t* dst, const uint8_t* src, size_t n) {
  const hn::ScalableTag<uint8_t> d;
  const size_t v = hn::Lanes(d);
  // Streaming stores need dst aligned to the vector (64 covers every size): a plain head first.
  const size_t head = std::min(n, (64 - reinterpret_cast<uintptr_t>(dst) % 64) % 64);
  std::memcpy(dst, src, head);
  size_t i = head;
  for (; i + 4 * v <= n; i += 4 * v) {
    const auto a = hn::LoadU(d, src + i);
    const auto b = hn::LoadU(d, src + i + v);
    const auto c = hn::LoadU(d, src + i + 2 * v);
    const auto e = hn::LoadU(d, src + i + 3 * v);
    hn::Stream(a, d, dst + i);
    hn::Stream(b, d, dst + i + v);
    hn::Stream(c, d, dst + i + 2 * v);
    hn::Stream(e, d, dst + i + 3 * v);
  }
  for (; i + v <= n; i += v) hn::Stream(hn::LoadU(d, src + i), d, dst + i);
  std::memcpy(dst + i, src + i, n - i);
  hwy::FlushStream();
}

// d1 = s1 and d2 = s2 for n bytes each, in one loop: d1 with streaming stores when `stream1`
// (else plain ones), d2 with plain ones. Interleaving the two keeps the loads of one copy in
// flight while the stores of the other drain.
void CopyPairImpl(uint8_t* d1, const uint8_t* s1, uint8_t* d2, const uint8_t* s2, size_t n, bool stream1) {
  const hn::ScalableTag<uint8_t> d;
  const size_t v = hn::Lanes(d);
  size_t i = 0;
  if (stream1) {
    // Streaming stores need d1 aligned to the vector: a plain head of both first.
    i = std::min(n, (64 - reinterpret_cast<uintptr_t>(d1) % 64) % 64);
    std::memcpy(d1, s1, i);
    std::memcpy(d2, s2, i);
  }
  for (; i + 2 * v <= n; i += 2 * v) {
    const auto a = hn::LoadU(d, s1 + i);
    const auto b = hn::LoadU(d, s1 + i + v);
    const auto c = hn::LoadU(d, s2 + i);
    const auto e = hn::LoadU(d, s2 + i + v);
    if (stream1) {
      hn::Stream(a, d, d1 + i);
      hn::Stream(b, d, d1 + i + v);
    } else {
      hn::StoreU(a, d, d1 + i);
      hn::StoreU(b, d, d1 + i + v);
    }
    hn::StoreU(c, d, d2 + i);
    hn::StoreU(e, d, d2 + i + v);
  }
  std::memcpy(d1 + i, s1 + i, n - i);
  std::memcpy(d2 + i, s2 + i, n - i);
  if (stream1) hwy::FlushStream();
}

}  // namespace HWY_NAMESPACE
}  // namespace chorus::host::internal
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace chorus::host::internal {

HWY_EXPORT(CopyStreamingImpl);
HWY_EXPORT(CopyPairImpl);

void CopyPairSimd(void* d1, const void* s1, void* d2, const void* s2, Bytes n, bool stream1) {
  HWY_DYNAMIC_DISPATCH(CopyPairImpl)(static_cast<uint8_t*>(d1), static_cast<const uint8_t*>(s1),
                                     static_cast<uint8_t*>(d2), static_cast<const uint8_t*>(s2), n, stream1);
}

void CopyStreamingSimd(void* dst, const void* src, Bytes n) {
  HWY_DYNAMIC_DISPATCH(CopyStreamingImpl)(static_cast<uint8_t*>(dst), static_cast<const uint8_t*>(src), n);
}

}  // namespace chorus::host::internal
#endif  // HWY_ONCE

#endif  // CHORUS_HAVE_HWY
