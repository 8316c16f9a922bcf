// Element encodings the benchmark reads and writes: IEEE half, bfloat16 and the two OCP FP8
// formats (E4M3FN: no infinities, max 448; E5M2: IEEE-like). Round to nearest even. Our own code:
// the benchmark checks the library, so it must not share the library's conversions.
#pragma once

#include <cstddef>
#include <cstdint>

#include "chorus-bench/vocab.h"

namespace chorus::bench {

// A binary floating-point format with `exp_bits` exponent and `man_bits` stored mantissa bits.
struct MiniFloat {
  int exp_bits;
  int man_bits;
  bool finite_only;  // E4M3FN: the all-ones exponent holds numbers; only S.1111.111 is NaN
};
inline constexpr MiniFloat kHalf{5, 10, false};
inline constexpr MiniFloat kBf16{8, 7, false};
inline constexpr MiniFloat kE4M3{4, 3, true};
inline constexpr MiniFloat kE5M2{5, 2, false};

uint32_t Encode(MiniFloat f, double v);
double Decode(MiniFloat f, uint32_t bits);

// Largest N such that every integer in [0, N] is exact in `t` (integers: the type's maximum,
// capped at 2^62 so results stay exact in int64 arithmetic).
int64_t ExactIntLimit(DType t);
// Largest k such that +-2^k is exact (and finite) in `t`, capped at 62.
int MaxPow2(DType t);
// Unit roundoff of a float type (2^-mantissa bits); 0 for integers.
double Epsilon(DType t);

// Element idx of a buffer of type t, as a double (integers above 2^53 round).
double LoadAsDouble(DType t, const void* base, std::size_t idx);
// Element idx as an integer (floats truncate; for checks of integer results).
int64_t LoadAsInt(DType t, const void* base, std::size_t idx);
// Stores an integer value (exact for the values the benchmark uses).
void StoreInt(DType t, void* base, std::size_t idx, int64_t v);
// Stores a value rounded to the type (integers: truncated).
void StoreDouble(DType t, void* base, std::size_t idx, double v);

}  // namespace chorus::bench
