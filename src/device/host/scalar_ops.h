// The per-element operators shared by the scalar kernels and the SIMD kernels' definitions.
// Integers wrap (computed in the unsigned type of the same width). Floats: min/max follow
// IEEE 754-2019 minimum/maximum: a NaN operand gives NaN, and -0 < +0, so both are commutative
// and the result never depends on the order in which ranks combine.
#pragma once

#include <bit>
#include <cstdint>
#include <type_traits>

namespace chorus::host::ops {

template <typename T>
using UnsignedOf = std::make_unsigned_t<T>;

template <typename T>
constexpr T Sum(T x, T y) {
  if constexpr (std::is_floating_point_v<T>) {
    return x + y;
  } else {
    // uint8 promotes to int; the cast back wraps.
    return static_cast<T>(static_cast<UnsignedOf<T>>(x) + static_cast<UnsignedOf<T>>(y));
  }
}

template <typename T>
constexpr T Prod(T x, T y) {
  if constexpr (std::is_floating_point_v<T>) {
    return x * y;
  } else if constexpr (sizeof(T) < sizeof(unsigned)) {
    // Promoted to unsigned int explicitly: an int product of two uint16 could overflow (UB).
    return static_cast<T>(static_cast<unsigned>(static_cast<UnsignedOf<T>>(x)) *
                          static_cast<unsigned>(static_cast<UnsignedOf<T>>(y)));
  } else {
    return static_cast<T>(static_cast<UnsignedOf<T>>(x) * static_cast<UnsignedOf<T>>(y));
  }
}

template <typename T>
struct FloatBits;
template <>
struct FloatBits<float> {
  using type = uint32_t;
};
template <>
struct FloatBits<double> {
  using type = uint64_t;
};

template <typename T>
constexpr T Min(T x, T y) {
  if constexpr (std::is_floating_point_v<T>) {
    using B = typename FloatBits<T>::type;
    if (x < y) return x;
    if (y < x) return y;
    if (x == y) return std::bit_cast<T>(std::bit_cast<B>(x) | std::bit_cast<B>(y));  // -0 wins
    return x + y;                                                                    // unordered: a quiet NaN
  } else {
    return y < x ? y : x;
  }
}

template <typename T>
constexpr T Max(T x, T y) {
  if constexpr (std::is_floating_point_v<T>) {
    using B = typename FloatBits<T>::type;
    if (x > y) return x;
    if (y > x) return y;
    if (x == y) return std::bit_cast<T>(std::bit_cast<B>(x) & std::bit_cast<B>(y));  // +0 wins
    return x + y;
  } else {
    return y > x ? y : x;
  }
}

}  // namespace chorus::host::ops
