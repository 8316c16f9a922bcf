// Highway kernels, compiled once per instruction set (foreach_target.h re-includes this file) and
// picked at run time (HWY_DYNAMIC_DISPATCH).
//
// Layout of the work: full vectors straight from the (unaligned) buffers, then one last partial
// block through small stack buffers, so the tail runs the same vector code as the body.
// Narrow floats travel packed in 32-bit lanes (two float16/bfloat16 or four float8 per lane):
// each sub-element is shifted down, widened to float32, combined, rounded back and shifted into
// place, which needs no cross-lane shuffles. float16 uses the F16C instructions where the target
// has them (they round to nearest even, as we need); Highway 1.0.3's emulated float16 and
// bfloat16 demotions truncate, so the other paths round with our own integer code.
#if defined(CHORUS_HAVE_HWY)

#include "device/host/reduce_simd.h"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include <hwy/cache_control.h>

#include "device/host/reduce_scalar.h"

// AVX3_DL adds nothing to these loops, and x86-64 CPUs with SSSE3 but no SSE4 are long gone:
// leaving both out saves compile time.
#ifndef HWY_DISABLED_TARGETS
#define HWY_DISABLED_TARGETS (HWY_AVX3_DL | HWY_SSSE3)
#endif

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "device/host/reduce_simd.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace chorus::host::internal {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

#if HWY_TARGET == HWY_SCALAR
// One-lane vectors cannot hold the packed layouts below; the portable kernels are as good here.
// (GCC < 12.3 makes this the fallback target instead of EMU128.)
void ReduceImpl(void* dst, const void* a, const void* b, size_t count, DataType type, ReduceOp op, bool) {
  ReduceScalar(dst, a, b, count, type, op);
}
void DivideImpl(void* data, size_t count, DataType type, int divisor) { DivideByScalar(data, count, type, divisor); }
#else

static_assert(std::endian::native == std::endian::little, "packed narrow floats assume little-endian lanes");

#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2 && !defined(HWY_DISABLE_F16C)
constexpr bool kNativeF16 = true;
#else
constexpr bool kNativeF16 = false;
#endif

enum class Op { kSum, kProd, kMin, kMax };

// ------------------------------------------------------------------ element-wise operators

// IEEE 754-2019 minimum/maximum, as in scalar_ops.h: NaN if either is NaN, -0 < +0.
template <class V>
HWY_INLINE V IeeeMin(V a, V b) {
  const V tie = hn::IfThenElse(hn::Eq(a, b), hn::Or(a, b), hn::Add(a, b));
  return hn::IfThenElse(hn::Lt(a, b), a, hn::IfThenElse(hn::Lt(b, a), b, tie));
}
template <class V>
HWY_INLINE V IeeeMax(V a, V b) {
  const V tie = hn::IfThenElse(hn::Eq(a, b), hn::And(a, b), hn::Add(a, b));
  return hn::IfThenElse(hn::Lt(b, a), a, hn::IfThenElse(hn::Lt(a, b), b, tie));
}

// 8-bit product modulo 256 from two 16-bit multiplies (x86 has no 8-bit multiply).
template <class D, class V>
HWY_INLINE V Mul8(D d, V a, V b) {
  const hn::Repartition<uint16_t, D> d16;
  const auto a16 = hn::BitCast(d16, a), b16 = hn::BitCast(d16, b);
  const auto lo = hn::And(hn::Mul(a16, b16), hn::Set(d16, 0x00FF));
  const auto hi = hn::Mul(hn::ShiftRight<8>(a16), hn::And(b16, hn::Set(d16, 0xFF00)));
  return hn::BitCast(d, hn::Or(lo, hi));
}

// 64-bit product modulo 2^64 from 32x32->64 multiplies: lo*lo + ((hi*lo + lo*hi) << 32).
template <class D, class V>
HWY_INLINE V Mul64(D d, V a, V b) {
  const hn::RebindToUnsigned<D> du;
  const hn::Repartition<uint32_t, D> d32;
  const auto au = hn::BitCast(du, a), bu = hn::BitCast(du, b);
  const auto lolo = hn::MulEven(hn::BitCast(d32, au), hn::BitCast(d32, bu));
  const auto hilo = hn::MulEven(hn::BitCast(d32, hn::ShiftRight<32>(au)), hn::BitCast(d32, bu));
  const auto lohi = hn::MulEven(hn::BitCast(d32, au), hn::BitCast(d32, hn::ShiftRight<32>(bu)));
  return hn::BitCast(d, hn::Add(lolo, hn::ShiftLeft<32>(hn::Add(hilo, lohi))));
}

template <Op kOp, class D, class V>
HWY_INLINE V Combine(D d, V a, V b) {
  using T = hn::TFromD<D>;
  constexpr bool kFloat = hwy::IsFloat<T>();
  if constexpr (kOp == Op::kSum) {
    return hn::Add(a, b);  // integers wrap
  } else if constexpr (kOp == Op::kProd) {
    if constexpr (sizeof(T) == 1) {
      return Mul8(d, a, b);
    } else if constexpr (sizeof(T) == 8 && !kFloat) {
      return Mul64(d, a, b);
    } else {
      return hn::Mul(a, b);
    }
  } else if constexpr (kOp == Op::kMin) {
    if constexpr (kFloat) {
      return IeeeMin(a, b);
    } else {
      return hn::Min(a, b);
    }
  } else {
    if constexpr (kFloat) {
      return IeeeMax(a, b);
    } else {
      return hn::Max(a, b);
    }
  }
}

// ------------------------------------------------------------------ narrow float codecs
// Each works on float32 vectors and 32-bit lanes holding one narrow value in the low bits
// (zero above); Encode returns the same layout.

using DF = hn::ScalableTag<float>;
using DU = hn::RebindToUnsigned<DF>;
using DI = hn::RebindToSigned<DF>;
using VF = hn::Vec<DF>;
using VU = hn::Vec<DU>;

HWY_INLINE VU FromBits32(uint32_t bits) { return hn::Set(DU(), bits); }
HWY_INLINE VF FloatFromBits(uint32_t bits) { return hn::Set(DF(), std::bit_cast<float>(bits)); }
// a > b on non-negative 31-bit values held in unsigned lanes.
HWY_INLINE auto Greater(VU a, VU b) {
  const DI di;
  return hn::RebindMask(DU(), hn::Lt(hn::BitCast(di, b), hn::BitCast(di, a)));
}

// A binary format with kExp exponent and kMan mantissa bits (see fp::NarrowFormat).
template <int kExp, int kMan, bool kIeeeSpecials>
struct IeeeLikeCodec {
  static constexpr int kBits = 1 + kExp + kMan;
  static constexpr int kBias = (1 << (kExp - 1)) - 1;
  static constexpr uint32_t kSignBit = 1u << (kExp + kMan);
  static constexpr uint32_t kAbsMask = kSignBit - 1;
  static constexpr uint32_t kInfBits = ((1u << kExp) - 1) << kMan;
  static constexpr uint32_t kMaxFinite = kIeeeSpecials ? kInfBits - 1 : kAbsMask - 1;
  static constexpr uint32_t kOverflow = kIeeeSpecials ? kInfBits : kMaxFinite;
  static constexpr int kShift = 23 - kMan;

  static HWY_INLINE VF Decode(VU v) {
    const DF df;
    const DU du;
    const DI di;
    const VU sign = hn::ShiftLeft<31 - (kExp + kMan)>(hn::And(v, FromBits32(kSignBit)));
    const VU abs = hn::And(v, FromBits32(kAbsMask));
    const VU normal = hn::Add(hn::ShiftLeft<kShift>(abs), FromBits32(static_cast<uint32_t>(127 - kBias) << 23));
    // Subnormals: the integer mantissa times the quantum, exact in float32.
    const VF quantum = FloatFromBits(static_cast<uint32_t>(127 + 1 - kBias - kMan) << 23);
    const VU sub = hn::BitCast(du, hn::Mul(hn::ConvertTo(df, hn::BitCast(di, abs)), quantum));
    VU r = hn::IfThenElse(Greater(FromBits32(1u << kMan), abs), sub, normal);
    if constexpr (kIeeeSpecials) {
      const VU special = hn::Or(hn::ShiftLeft<kShift>(abs), FromBits32(0x7F800000u));
      r = hn::IfThenElse(Greater(abs, FromBits32(kInfBits - 1)), special, r);
    } else {
      r = hn::IfThenElse(hn::Eq(abs, FromBits32(kAbsMask)), FromBits32(0x7FC00000u), r);
    }
    return hn::BitCast(df, hn::Or(r, sign));
  }

  static HWY_INLINE VU Encode(VF f) {
    const DF df;
    const DU du;
    const VU u = hn::BitCast(du, f);
    const VU sign = hn::ShiftRight<31 - (kExp + kMan)>(hn::And(u, FromBits32(0x80000000u)));
    const VU abs = hn::And(u, FromBits32(0x7FFFFFFFu));
    // Normal range: round the float32 bits to kMan mantissa bits (ties to even), rebias, and
    // clamp overflow (which also covers inf) to inf or, for e4m3, the largest finite value.
    const VU lsb = hn::And(hn::ShiftRight<kShift>(abs), FromBits32(1));
    const VU rounded = hn::ShiftRight<kShift>(hn::Add(abs, hn::Add(FromBits32((1u << (kShift - 1)) - 1), lsb)));
    VU normal = hn::Sub(rounded, FromBits32(static_cast<uint32_t>(127 - kBias) << kMan));
    normal = hn::IfThenElse(Greater(normal, FromBits32(kMaxFinite)), FromBits32(kOverflow), normal);
    // Below the smallest normal: adding a magic power of two whose ulp is the format's quantum
    // makes the FPU round to nearest even; the low bits are then the encoding. (Lanes taking the
    // other branches compute garbage here, or wrap above, and are not selected.)
    constexpr uint32_t kMagic = static_cast<uint32_t>(127 + 1 - kBias - kMan + 23) << 23;
    const VU sub = hn::Sub(hn::BitCast(du, hn::Add(hn::BitCast(df, abs), FloatFromBits(kMagic))), FromBits32(kMagic));
    VU r = hn::IfThenElse(Greater(FromBits32(static_cast<uint32_t>(127 + 1 - kBias) << 23), abs), sub, normal);
    VU nan;
    if constexpr (kIeeeSpecials) {
      nan = hn::Or(FromBits32(kInfBits | (1u << (kMan - 1))),
                   hn::ShiftRight<kShift>(hn::And(abs, FromBits32(0x7FFFFFu))));
    } else {
      nan = FromBits32(kAbsMask);
    }
    r = hn::IfThenElse(Greater(abs, FromBits32(0x7F800000u)), nan, r);
    return hn::Or(r, sign);
  }
};

// bfloat16 is the top half of a float32: widening is a shift, rounding an integer add.
struct Bf16Codec {
  static constexpr int kBits = 16;
  static HWY_INLINE VF Decode(VU v) { return hn::BitCast(DF(), hn::ShiftLeft<16>(v)); }
  static HWY_INLINE VU Encode(VF f) {
    const VU u = hn::BitCast(DU(), f);
    const VU lsb = hn::And(hn::ShiftRight<16>(u), FromBits32(1));
    const VU rounded = hn::ShiftRight<16>(hn::Add(u, hn::Add(FromBits32(0x7FFF), lsb)));
    const VU quiet = hn::Or(hn::ShiftRight<16>(u), FromBits32(0x0040));
    return hn::IfThenElse(Greater(hn::And(u, FromBits32(0x7FFFFFFFu)), FromBits32(0x7F800000u)), quiet, rounded);
  }
};

using HalfCodec = IeeeLikeCodec<5, 10, true>;
using E4M3Codec = IeeeLikeCodec<4, 3, false>;
using E5M2Codec = IeeeLikeCodec<5, 2, true>;

// ------------------------------------------------------------------ block kernels
// A kernel processes Elems() elements of kElemBytes bytes per Block() call; Block<true> writes
// with non-temporal (streaming) stores and then needs dst aligned to the vector size.

template <bool kStream, class D, class V, typename T>
HWY_INLINE void Put(D d, V v, T* p) {
  if constexpr (kStream) {
    hn::Stream(v, d, p);
  } else {
    hn::StoreU(v, d, p);
  }
}

template <typename T, Op kOp>
struct NativeKernel {
  static constexpr size_t kElemBytes = sizeof(T);
  hn::ScalableTag<T> d;
  HWY_INLINE size_t Elems() const { return hn::Lanes(d); }
  template <bool kStream>
  HWY_INLINE void Block(uint8_t* dst, const uint8_t* a, const uint8_t* b) const {
    const auto va = hn::LoadU(d, reinterpret_cast<const T*>(a));
    const auto vb = hn::LoadU(d, reinterpret_cast<const T*>(b));
    Put<kStream>(d, Combine<kOp>(d, va, vb), reinterpret_cast<T*>(dst));
  }
};

// Narrow floats packed (4 / kElemBytes) per 32-bit lane.
template <class Codec, size_t kBytes, Op kOp>
struct PackedKernel {
  static constexpr size_t kElemBytes = kBytes;
  static constexpr int kPer = static_cast<int>(4 / kBytes);
  static constexpr uint32_t kMask = kBytes == 2 ? 0xFFFFu : 0xFFu;
  DU du;
  HWY_INLINE size_t Elems() const { return hn::Lanes(du) * kPer; }

  template <int k>
  static HWY_INLINE VU One(VU va, VU vb) {
    const VU ak = hn::And(hn::ShiftRight<8 * kBytes * k>(va), FromBits32(kMask));
    const VU bk = hn::And(hn::ShiftRight<8 * kBytes * k>(vb), FromBits32(kMask));
    const VF r = Combine<kOp>(DF(), Codec::Decode(ak), Codec::Decode(bk));
    return hn::ShiftLeft<8 * kBytes * k>(hn::And(Codec::Encode(r), FromBits32(kMask)));
  }

  template <bool kStream>
  HWY_INLINE void Block(uint8_t* dst, const uint8_t* a, const uint8_t* b) const {
    const VU va = hn::LoadU(du, reinterpret_cast<const uint32_t*>(a));
    const VU vb = hn::LoadU(du, reinterpret_cast<const uint32_t*>(b));
    VU r = hn::Or(One<0>(va, vb), One<1>(va, vb));
    if constexpr (kPer == 4) r = hn::Or(r, hn::Or(One<2>(va, vb), One<3>(va, vb)));
    Put<kStream>(du, r, reinterpret_cast<uint32_t*>(dst));
  }
};

// bfloat16: the odd element of each 32-bit lane is already a float32 once its low half is
// cleared, the even one once shifted up; results are rounded in place (upper halves) and merged.
// Fewer operations than PackedKernel<Bf16Codec>, which matters when the buffers are in cache.
HWY_INLINE VU RoundToBf16High(VF f) {
  const DU du;
  const VU u = hn::BitCast(du, f);
  const VU rounded = hn::Add(u, hn::Add(hn::And(hn::ShiftRight<16>(u), FromBits32(1)), FromBits32(0x7FFF)));
  return hn::IfThenElse(hn::RebindMask(du, hn::IsNaN(f)), hn::Or(u, FromBits32(0x00400000)), rounded);
}

template <Op kOp>
struct Bf16Kernel {
  static constexpr size_t kElemBytes = 2;
  DU du;
  HWY_INLINE size_t Elems() const { return hn::Lanes(du) * 2; }
  template <bool kStream>
  HWY_INLINE void Block(uint8_t* dst, const uint8_t* a, const uint8_t* b) const {
    const DF df;
    const VU high = FromBits32(0xFFFF0000u);
    const VU va = hn::LoadU(du, reinterpret_cast<const uint32_t*>(a));
    const VU vb = hn::LoadU(du, reinterpret_cast<const uint32_t*>(b));
    const VF even = Combine<kOp>(df, hn::BitCast(df, hn::ShiftLeft<16>(va)), hn::BitCast(df, hn::ShiftLeft<16>(vb)));
    const VF odd = Combine<kOp>(df, hn::BitCast(df, hn::And(va, high)), hn::BitCast(df, hn::And(vb, high)));
    const VU r = hn::Or(hn::ShiftRight<16>(RoundToBf16High(even)), hn::And(RoundToBf16High(odd), high));
    Put<kStream>(du, r, reinterpret_cast<uint32_t*>(dst));
  }
};

// min/max of narrow floats need no arithmetic: the result is one of the operands (or a NaN). On
// sign-magnitude bits, flipping the magnitude bits of negative values gives signed integers in
// the order of the values, with -0 below +0. TBits is the signed integer of the format's width;
// magnitudes above kNaNAbove are NaN.
template <typename TBits, TBits kNaNAbove, Op kOp>
struct SignMagnitudeKernel {
  static_assert(kOp == Op::kMin || kOp == Op::kMax);
  static constexpr size_t kElemBytes = sizeof(TBits);
  static constexpr TBits kMagnitude = static_cast<TBits>(~(TBits{1} << (8 * sizeof(TBits) - 1)));
  hn::ScalableTag<TBits> d;
  HWY_INLINE size_t Elems() const { return hn::Lanes(d); }
  template <bool kStream>
  HWY_INLINE void Block(uint8_t* dst, const uint8_t* a, const uint8_t* b) const {
    const auto mag = hn::Set(d, kMagnitude);
    const auto va = hn::LoadU(d, reinterpret_cast<const TBits*>(a));
    const auto vb = hn::LoadU(d, reinterpret_cast<const TBits*>(b));
    const auto ka = hn::Xor(va, hn::And(hn::BroadcastSignBit(va), mag));
    const auto kb = hn::Xor(vb, hn::And(hn::BroadcastSignBit(vb), mag));
    auto r = kOp == Op::kMin ? hn::IfThenElse(hn::Lt(kb, ka), vb, va) : hn::IfThenElse(hn::Lt(ka, kb), vb, va);
    const auto nan_above = hn::Set(d, kNaNAbove);
    r = hn::IfThenElse(hn::Lt(nan_above, hn::And(vb, mag)), vb, r);
    r = hn::IfThenElse(hn::Lt(nan_above, hn::And(va, mag)), va, r);
    Put<kStream>(d, r, reinterpret_cast<TBits*>(dst));
  }
};

// float16 through F16C: half-width loads widened to full float32 vectors.
template <Op kOp>
struct F16cKernel {
  static constexpr size_t kElemBytes = 2;
  DF df;
  hn::Rebind<hwy::float16_t, DF> dh;
  HWY_INLINE size_t Elems() const { return hn::Lanes(df); }
  template <bool kStream>
  HWY_INLINE void Block(uint8_t* dst, const uint8_t* a, const uint8_t* b) const {
    const VF va = hn::PromoteTo(df, hn::LoadU(dh, reinterpret_cast<const hwy::float16_t*>(a)));
    const VF vb = hn::PromoteTo(df, hn::LoadU(dh, reinterpret_cast<const hwy::float16_t*>(b)));
    Put<kStream>(dh, hn::DemoteTo(dh, Combine<kOp>(df, va, vb)), reinterpret_cast<hwy::float16_t*>(dst));
  }
};

constexpr size_t kTailBytes = 256;
constexpr size_t kStreamAlign = 64;  // covers every vector size here

// Fewer than Elems() elements through stack buffers, with the same vector code as the body.
template <class Kernel>
HWY_INLINE void Partial(const Kernel& k, uint8_t* dst, const uint8_t* a, const uint8_t* b, size_t n) {
  const size_t bytes = n * Kernel::kElemBytes;
  alignas(64) uint8_t ta[kTailBytes] = {}, tb[kTailBytes] = {}, td[kTailBytes];
  std::memcpy(ta, a, bytes);
  std::memcpy(tb, b, bytes);
  k.template Block<false>(td, ta, tb);
  std::memcpy(dst, td, bytes);
}

template <bool kStream, class Kernel>
HWY_INLINE size_t MainLoop(const Kernel& k, uint8_t* dst, const uint8_t* a, const uint8_t* b, size_t i, size_t count) {
  constexpr size_t es = Kernel::kElemBytes;
  const size_t step = k.Elems();
  const size_t bytes = step * es;
  for (; i + 2 * step <= count; i += 2 * step) {
    const size_t off = i * es;
    k.template Block<kStream>(dst + off, a + off, b + off);
    k.template Block<kStream>(dst + off + bytes, a + off + bytes, b + off + bytes);
  }
  if (i + step <= count) {
    k.template Block<kStream>(dst + i * es, a + i * es, b + i * es);
    i += step;
  }
  return i;
}

// Runs the kernel over count elements. With `stream`, elements up to the first 64-byte boundary
// of dst go through Partial and the aligned body uses streaming stores. Returns the number of
// elements left for the scalar code (only when a block exceeds kTailBytes).
template <class Kernel>
HWY_INLINE size_t Drive(const Kernel& k, uint8_t* dst, const uint8_t* a, const uint8_t* b, size_t count,
                        bool stream = false) {
  constexpr size_t es = Kernel::kElemBytes;
  const size_t step = k.Elems();
  const size_t bytes = step * es;
  const uintptr_t addr = reinterpret_cast<uintptr_t>(dst);
  size_t i = 0;
  if (stream && bytes <= kTailBytes && addr % es == 0) {
    const size_t head = std::min(count, (kStreamAlign - addr % kStreamAlign) % kStreamAlign / es);
    while (i < head) {
      const size_t n = std::min(step, head - i);
      Partial(k, dst + i * es, a + i * es, b + i * es, n);
      i += n;
    }
    i = MainLoop<true>(k, dst, a, b, i, count);
    hwy::FlushStream();
  } else {
    i = MainLoop<false>(k, dst, a, b, i, count);
  }
  if (i == count) return 0;
  if (bytes > kTailBytes) return count - i;
  Partial(k, dst + i * es, a + i * es, b + i * es, count - i);
  return 0;
}

template <template <Op> class KernelOf>
HWY_INLINE size_t DriveOp(ReduceOp op, uint8_t* dst, const uint8_t* a, const uint8_t* b, size_t count, bool stream) {
  switch (op) {
    case ReduceOp::kSum:
      return Drive(KernelOf<Op::kSum>(), dst, a, b, count, stream);
    case ReduceOp::kProd:
      return Drive(KernelOf<Op::kProd>(), dst, a, b, count, stream);
    case ReduceOp::kMin:
      return Drive(KernelOf<Op::kMin>(), dst, a, b, count, stream);
    case ReduceOp::kMax:
      return Drive(KernelOf<Op::kMax>(), dst, a, b, count, stream);
    case ReduceOp::kAvg:
      break;
  }
  return 0;
}

// Sum and product through `Arith`, min and max on the bits.
template <template <Op> class Arith, typename TBits, TBits kNaNAbove>
HWY_INLINE size_t DriveNarrow(ReduceOp op, uint8_t* dst, const uint8_t* a, const uint8_t* b, size_t count,
                              bool stream) {
  switch (op) {
    case ReduceOp::kSum:
      return Drive(Arith<Op::kSum>(), dst, a, b, count, stream);
    case ReduceOp::kProd:
      return Drive(Arith<Op::kProd>(), dst, a, b, count, stream);
    case ReduceOp::kMin:
      return Drive(SignMagnitudeKernel<TBits, kNaNAbove, Op::kMin>(), dst, a, b, count, stream);
    case ReduceOp::kMax:
      return Drive(SignMagnitudeKernel<TBits, kNaNAbove, Op::kMax>(), dst, a, b, count, stream);
    case ReduceOp::kAvg:
      break;
  }
  return 0;
}

template <typename T>
struct Native {
  template <Op kOp>
  using Of = NativeKernel<T, kOp>;
};
template <class Codec, size_t kBytes>
struct Packed {
  template <Op kOp>
  using Of = PackedKernel<Codec, kBytes, kOp>;
};

void ReduceImpl(void* dst_v, const void* a_v, const void* b_v, size_t count, DataType type, ReduceOp op, bool stream) {
  auto* dst = static_cast<uint8_t*>(dst_v);
  const auto* a = static_cast<const uint8_t*>(a_v);
  const auto* b = static_cast<const uint8_t*>(b_v);
  size_t left = 0;
  switch (type) {
    case DataType::kInt8:
      left = DriveOp<Native<int8_t>::Of>(op, dst, a, b, count, stream);
      break;
    case DataType::kUint8:
      left = DriveOp<Native<uint8_t>::Of>(op, dst, a, b, count, stream);
      break;
    case DataType::kInt32:
      left = DriveOp<Native<int32_t>::Of>(op, dst, a, b, count, stream);
      break;
    case DataType::kUint32:
      left = DriveOp<Native<uint32_t>::Of>(op, dst, a, b, count, stream);
      break;
    case DataType::kInt64:
      left = DriveOp<Native<int64_t>::Of>(op, dst, a, b, count, stream);
      break;
    case DataType::kUint64:
      left = DriveOp<Native<uint64_t>::Of>(op, dst, a, b, count, stream);
      break;
    case DataType::kFloat32:
      left = DriveOp<Native<float>::Of>(op, dst, a, b, count, stream);
      break;
    case DataType::kFloat64:
      left = DriveOp<Native<double>::Of>(op, dst, a, b, count, stream);
      break;
    case DataType::kFloat16:
      if constexpr (kNativeF16) {
        left = DriveNarrow<F16cKernel, int16_t, 0x7C00>(op, dst, a, b, count, stream);
      } else {
        left = DriveNarrow<Packed<HalfCodec, 2>::Of, int16_t, 0x7C00>(op, dst, a, b, count, stream);
      }
      break;
    case DataType::kBfloat16:
      left = DriveNarrow<Bf16Kernel, int16_t, 0x7F80>(op, dst, a, b, count, stream);
      break;
    case DataType::kFloat8e4m3:
      left = DriveNarrow<Packed<E4M3Codec, 1>::Of, int8_t, 0x7E>(op, dst, a, b, count, stream);
      break;
    case DataType::kFloat8e5m2:
      left = DriveNarrow<Packed<E5M2Codec, 1>::Of, int8_t, 0x7C>(op, dst, a, b, count, stream);
      break;
  }
  if (left != 0) {
    const size_t off = (count - left) * SizeOf(type);
    ReduceScalar(dst + off, a + off, b + off, left, type, op);
  }
}

// ------------------------------------------------------------------ DivideBy

template <typename T>
struct DivNative {
  static constexpr size_t kElemBytes = sizeof(T);
  hn::ScalableTag<T> d;
  T divisor;
  HWY_INLINE size_t Elems() const { return hn::Lanes(d); }
  // Same shape as the reduce kernels: a is the data, b unused.
  template <bool kStream>
  HWY_INLINE void Block(uint8_t* dst, const uint8_t* a, const uint8_t*) const {
    const auto v = hn::LoadU(d, reinterpret_cast<const T*>(a));
    Put<kStream>(d, hn::Div(v, hn::Set(d, divisor)), reinterpret_cast<T*>(dst));
  }
};

template <class Codec, size_t kBytes>
struct DivPacked {
  static constexpr size_t kElemBytes = kBytes;
  static constexpr int kPer = static_cast<int>(4 / kBytes);
  static constexpr uint32_t kMask = kBytes == 2 ? 0xFFFFu : 0xFFu;
  DU du;
  float divisor;
  HWY_INLINE size_t Elems() const { return hn::Lanes(du) * kPer; }
  template <int k>
  HWY_INLINE VU One(VU v) const {
    const VU x = hn::And(hn::ShiftRight<8 * kBytes * k>(v), FromBits32(kMask));
    const VF q = hn::Div(Codec::Decode(x), hn::Set(DF(), divisor));
    return hn::ShiftLeft<8 * kBytes * k>(hn::And(Codec::Encode(q), FromBits32(kMask)));
  }
  template <bool kStream>
  HWY_INLINE void Block(uint8_t* dst, const uint8_t* a, const uint8_t*) const {
    const VU v = hn::LoadU(du, reinterpret_cast<const uint32_t*>(a));
    VU r = hn::Or(One<0>(v), One<1>(v));
    if constexpr (kPer == 4) r = hn::Or(r, hn::Or(One<2>(v), One<3>(v)));
    Put<kStream>(du, r, reinterpret_cast<uint32_t*>(dst));
  }
};

void DivideImpl(void* data_v, size_t count, DataType type, int divisor) {
  auto* data = static_cast<uint8_t*>(data_v);
  const float fdiv = static_cast<float>(divisor);
  size_t left = 0;
  switch (type) {
    case DataType::kFloat32:
      left = Drive(DivNative<float>{{}, fdiv}, data, data, data, count);
      break;
    case DataType::kFloat64:
      left = Drive(DivNative<double>{{}, static_cast<double>(divisor)}, data, data, data, count);
      break;
    case DataType::kFloat16:
      left = Drive(DivPacked<HalfCodec, 2>{{}, fdiv}, data, data, data, count);
      break;
    case DataType::kBfloat16:
      left = Drive(DivPacked<Bf16Codec, 2>{{}, fdiv}, data, data, data, count);
      break;
    case DataType::kFloat8e4m3:
      left = Drive(DivPacked<E4M3Codec, 1>{{}, fdiv}, data, data, data, count);
      break;
    case DataType::kFloat8e5m2:
      left = Drive(DivPacked<E5M2Codec, 1>{{}, fdiv}, data, data, data, count);
      break;
    default:
      left = count;
      break;  // integer division has no vector instruction: scalar
  }
  if (left != 0) {
    DivideByScalar(data + (count - left) * SizeOf(type), left, type, divisor);
  }
}

#endif  // HWY_TARGET == HWY_SCALAR

int64_t TargetImpl() { return HWY_TARGET; }

}  // namespace HWY_NAMESPACE
}  // namespace chorus::host::internal
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace chorus::host::internal {

HWY_EXPORT(ReduceImpl);
HWY_EXPORT(DivideImpl);
HWY_EXPORT(TargetImpl);

void ReduceSimd(void* dst, const void* a, const void* b, Count count, DataType type, ReduceOp op, bool nontemporal) {
  HWY_DYNAMIC_DISPATCH(ReduceImpl)(dst, a, b, count, type, op, nontemporal);
}

void DivideBySimd(void* data, Count count, DataType type, int divisor) {
  HWY_DYNAMIC_DISPATCH(DivideImpl)(data, count, type, divisor);
}

const char* SimdTargetName() { return hwy::TargetName(HWY_DYNAMIC_DISPATCH(TargetImpl)()); }

int64_t SimdCompiledTargets() { return HWY_TARGETS; }

}  // namespace chorus::host::internal
#endif  // HWY_ONCE

#endif  // CHORUS_HAVE_HWY
