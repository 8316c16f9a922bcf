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

}  // namespace HWY_NAMESPACE
}  // namespace chorus::host::internal
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace chorus::host::internal {

HWY_EXPORT(CopyStreamingImpl);

void CopyStreamingSimd(void* dst, const void* src, Bytes n) {
  HWY_DYNAMIC_DISPATCH(CopyStreamingImpl)(static_cast<uint8_t*>(dst), static_cast<const uint8_t*>(src), n);
}

}  // namespace chorus::host::internal
#endif  // HWY_ONCE

#endif  // CHORUS_HAVE_HWY
