// Inline scalar conversions between float32 and the narrow float formats (float16, bfloat16,
// float8 e4m3 / e5m2). reduce.h exports out-of-line wrappers; the kernels use these directly so
// that the per-element loops inline them.
//
// Rounding is to nearest, ties to even, computed on the bits (independent of the FP environment).
// Overflow: float16, bfloat16 and e5m2 round to +-inf like IEEE 754; e4m3 (no infinity) saturates
// to +-448, and +-inf also become +-448 (the PTX "satfinite" convention). NaN stays NaN with its
// sign: float16, bfloat16 and e5m2 keep the leading payload bits and set the quiet bit; an e4m3
// NaN is 0x7F with the sign bit (its only NaN pattern).
#pragma once

#include <array>
#include <bit>
#include <cstdint>

namespace chorus::host::fp {

inline constexpr uint32_t kF32SignMask = 0x80000000u;
inline constexpr uint32_t kF32AbsMask = 0x7FFFFFFFu;
inline constexpr uint32_t kF32Inf = 0x7F800000u;

// A narrow binary format with kExp exponent bits, kMan mantissa bits, IEEE-style bias.
// kIeeeSpecials: the top exponent encodes inf/NaN (float16, e5m2). Otherwise (e4m3 "FN") only the
// all-ones pattern is NaN, there is no inf, and overflow saturates.
template <int kExp, int kMan, bool kIeeeSpecials>
struct NarrowFormat {
  static constexpr int kBias = (1 << (kExp - 1)) - 1;
  static constexpr uint32_t kSignBit = 1u << (kExp + kMan);
  static constexpr uint32_t kAbsMask = kSignBit - 1;
  // Largest finite magnitude's encoding, and what overflow produces.
  static constexpr uint32_t kMaxFinite = kIeeeSpecials ? ((((1u << kExp) - 1) << kMan) - 1) : (kAbsMask - 1);
  static constexpr uint32_t kOverflow = kIeeeSpecials ? (((1u << kExp) - 1) << kMan) : kMaxFinite;
  static constexpr uint32_t kQuietBit = 1u << (kMan - 1);

  static constexpr bool IsNaN(uint32_t v) {
    const uint32_t abs = v & kAbsMask;
    return kIeeeSpecials ? abs > kOverflow : abs == kAbsMask;
  }

  static constexpr float Decode(uint32_t v) {
    const uint32_t sign = (v & kSignBit) ? kF32SignMask : 0u;
    const uint32_t abs = v & kAbsMask;
    const uint32_t exp = abs >> kMan;
    const uint32_t man = abs & ((1u << kMan) - 1);
    if (IsNaN(v)) return std::bit_cast<float>(sign | kF32Inf | (1u << 22) | (man << (23 - kMan)));
    if (kIeeeSpecials && abs == kOverflow) return std::bit_cast<float>(sign | kF32Inf);
    if (exp == 0) {
      // Subnormal: man * 2^(1 - bias - kMan), exact in float32 for every format here.
      const float mag =
          static_cast<float>(man) * std::bit_cast<float>(static_cast<uint32_t>(127 + 1 - kBias - kMan) << 23);
      return std::bit_cast<float>(sign | std::bit_cast<uint32_t>(mag));
    }
    return std::bit_cast<float>(sign | ((exp + 127 - kBias) << 23) | (man << (23 - kMan)));
  }

  static constexpr uint32_t Encode(float f) {
    const uint32_t u = std::bit_cast<uint32_t>(f);
    const uint32_t sign = (u & kF32SignMask) ? kSignBit : 0u;
    const uint32_t abs = u & kF32AbsMask;
    if (abs > kF32Inf) {  // NaN
      if constexpr (kIeeeSpecials) return sign | kOverflow | kQuietBit | ((abs & 0x7FFFFF) >> (23 - kMan));
      return sign | kAbsMask;
    }
    if (abs == kF32Inf) return sign | kOverflow;
    constexpr int kShift = 23 - kMan;
    constexpr uint32_t kMinNormalF32 = static_cast<uint32_t>(127 + 1 - kBias) << 23;
    uint32_t r;
    if (abs < kMinNormalF32) {
      // Subnormal (or zero) in the narrow format: the quantum is 2^(1-bias-kMan). Shifting the
      // float32 significand (implicit bit made explicit) right rounds it; ties to even by hand.
      const int f32_exp = static_cast<int>(abs >> 23);
      if (f32_exp == 0) return sign;  // float32 subnormals are far below every quantum here
      const uint32_t sig = (abs & 0x7FFFFF) | 0x800000;
      // value = sig * 2^(f32_exp - 150); quantum exponent = 1 - bias - kMan.
      const int shift = (1 - kBias - kMan) - (f32_exp - 150);  // > kShift
      if (shift > 25) return sign;                             // below half the quantum
      const uint32_t half = 1u << (shift - 1);
      const uint32_t rem = sig & ((1u << shift) - 1);
      r = sig >> shift;
      if (rem > half || (rem == half && (r & 1))) ++r;  // may carry into the min normal: correct
    } else {
      r = (abs + ((1u << (kShift - 1)) - 1) + ((abs >> kShift) & 1)) >> kShift;
      r -= static_cast<uint32_t>(127 - kBias) << kMan;
      if (r > kMaxFinite) r = kOverflow;
    }
    return sign | r;
  }
};

using Half = NarrowFormat<5, 10, true>;
using E4M3 = NarrowFormat<4, 3, false>;
using E5M2 = NarrowFormat<5, 2, true>;

inline float HalfToFloat(uint16_t h) { return Half::Decode(h); }
inline uint16_t FloatToHalf(float f) { return static_cast<uint16_t>(Half::Encode(f)); }

// bfloat16 is the top half of a float32 (same exponent range, subnormals included), so rounding
// is an integer add on the bits; the carry handles mantissa overflow and overflow to inf.
inline float Bfloat16ToFloat(uint16_t h) { return std::bit_cast<float>(static_cast<uint32_t>(h) << 16); }
inline uint16_t FloatToBfloat16(float f) {
  const uint32_t u = std::bit_cast<uint32_t>(f);
  if ((u & kF32AbsMask) > kF32Inf) return static_cast<uint16_t>((u >> 16) | 0x0040);
  return static_cast<uint16_t>((u + 0x7FFF + ((u >> 16) & 1)) >> 16);
}

// float8 decoding goes through 256-entry tables built at compile time.
template <class Format>
constexpr std::array<float, 256> MakeDecodeTable() {
  std::array<float, 256> t{};
  for (uint32_t v = 0; v < 256; ++v) t[v] = Format::Decode(v);
  return t;
}
inline constexpr std::array<float, 256> kE4M3Table = MakeDecodeTable<E4M3>();
inline constexpr std::array<float, 256> kE5M2Table = MakeDecodeTable<E5M2>();

inline float Float8e4m3ToFloat(uint8_t v) { return kE4M3Table[v]; }
inline uint8_t FloatToFloat8e4m3(float f) { return static_cast<uint8_t>(E4M3::Encode(f)); }
inline float Float8e5m2ToFloat(uint8_t v) { return kE5M2Table[v]; }
inline uint8_t FloatToFloat8e5m2(float f) { return static_cast<uint8_t>(E5M2::Encode(f)); }

}  // namespace chorus::host::fp
