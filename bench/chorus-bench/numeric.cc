#include "chorus-bench/numeric.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace chorus::bench {
namespace {

template <typename T>
T LoadRaw(const void* base, std::size_t idx) {
  T v;
  std::memcpy(&v, static_cast<const char*>(base) + idx * sizeof(T), sizeof(T));
  return v;
}

template <typename T>
void StoreRaw(void* base, std::size_t idx, T v) {
  std::memcpy(static_cast<char*>(base) + idx * sizeof(T), &v, sizeof(T));
}

}  // namespace

uint32_t Encode(MiniFloat f, double v) {
  const int bias = (1 << (f.exp_bits - 1)) - 1;
  const uint32_t sign = std::signbit(v) ? 1u << (f.exp_bits + f.man_bits) : 0u;
  const uint32_t exp_all = (1u << f.exp_bits) - 1;
  const uint32_t man_all = (1u << f.man_bits) - 1;
  const uint32_t nan_bits = f.finite_only ? (exp_all << f.man_bits) | man_all
                                          : (exp_all << f.man_bits) | (1u << (f.man_bits - 1));
  if (std::isnan(v)) return sign | nan_bits;
  // Largest finite exponent and mantissa.
  const int max_exp = f.finite_only ? static_cast<int>(exp_all) - bias : static_cast<int>(exp_all) - 1 - bias;
  const double max_man = f.finite_only ? static_cast<double>(man_all - 1) : static_cast<double>(man_all);
  const double max_finite = std::ldexp(1.0 + max_man / std::ldexp(1.0, f.man_bits), max_exp);
  double a = std::fabs(v);
  if (std::isinf(a)) return f.finite_only ? sign | nan_bits : sign | (exp_all << f.man_bits);
  if (a == 0.0) return sign;
  int e2;
  std::frexp(a, &e2);  // a = m * 2^e2, m in [0.5, 1)
  int e = e2 - 1;
  const int min_exp = 1 - bias;
  if (e < min_exp) e = min_exp;  // subnormal range: fixed quantum
  const double quantum = std::ldexp(1.0, e - f.man_bits);
  const double steps = std::nearbyint(a / quantum);  // ties to even in the default rounding mode
  const double rounded = steps * quantum;
  if (rounded > max_finite) {
    // Beyond the largest finite value after rounding: infinity (IEEE) or NaN (E4M3FN, no saturation).
    return f.finite_only ? sign | nan_bits : sign | (exp_all << f.man_bits);
  }
  if (rounded < std::ldexp(1.0, min_exp)) {
    return sign | static_cast<uint32_t>(steps);  // subnormal: exponent field 0
  }
  std::frexp(rounded, &e2);
  e = e2 - 1;
  const double frac = rounded / std::ldexp(1.0, e) - 1.0;  // [0, 1)
  const uint32_t man = static_cast<uint32_t>(std::ldexp(frac, f.man_bits));
  return sign | (static_cast<uint32_t>(e + bias) << f.man_bits) | man;
}

double Decode(MiniFloat f, uint32_t bits) {
  const int bias = (1 << (f.exp_bits - 1)) - 1;
  const uint32_t exp_all = (1u << f.exp_bits) - 1;
  const uint32_t man_all = (1u << f.man_bits) - 1;
  const bool neg = (bits >> (f.exp_bits + f.man_bits)) & 1u;
  const uint32_t exp = (bits >> f.man_bits) & exp_all;
  const uint32_t man = bits & man_all;
  double v;
  if (exp == exp_all && !f.finite_only) {
    v = man == 0 ? std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
  } else if (exp == exp_all && f.finite_only && man == man_all) {
    v = std::numeric_limits<double>::quiet_NaN();
  } else if (exp == 0) {
    v = std::ldexp(static_cast<double>(man), 1 - bias - f.man_bits);
  } else {
    v = std::ldexp(1.0 + std::ldexp(static_cast<double>(man), -f.man_bits), static_cast<int>(exp) - bias);
  }
  return neg ? -v : v;
}

int64_t ExactIntLimit(DType t) {
  switch (t) {
    case DType::kInt8: return 127;
    case DType::kUint8: return 255;
    case DType::kInt32: return (int64_t{1} << 31) - 1;
    case DType::kUint32: return (int64_t{1} << 32) - 1;
    case DType::kInt64:
    case DType::kUint64: return int64_t{1} << 62;
    case DType::kFloat16: return 2048;
    case DType::kBfloat16: return 256;
    case DType::kFloat32: return int64_t{1} << 24;
    case DType::kFloat64: return int64_t{1} << 53;
    case DType::kF8e4m3: return 16;
    case DType::kF8e5m2: return 8;
  }
  return 1;
}

int MaxPow2(DType t) {
  switch (t) {
    case DType::kInt8: return 6;
    case DType::kUint8: return 7;
    case DType::kInt32: return 30;
    case DType::kUint32: return 31;
    case DType::kFloat16: return 15;
    case DType::kF8e4m3: return 8;
    case DType::kF8e5m2: return 15;
    default: return 62;
  }
}

double Epsilon(DType t) {
  switch (t) {
    case DType::kFloat16: return std::ldexp(1.0, -10);
    case DType::kBfloat16: return std::ldexp(1.0, -7);
    case DType::kFloat32: return std::ldexp(1.0, -23);
    case DType::kFloat64: return std::ldexp(1.0, -52);
    case DType::kF8e4m3: return std::ldexp(1.0, -3);
    case DType::kF8e5m2: return std::ldexp(1.0, -2);
    default: return 0.0;
  }
}

double LoadAsDouble(DType t, const void* base, std::size_t idx) {
  switch (t) {
    case DType::kInt8: return LoadRaw<int8_t>(base, idx);
    case DType::kUint8: return LoadRaw<uint8_t>(base, idx);
    case DType::kInt32: return LoadRaw<int32_t>(base, idx);
    case DType::kUint32: return LoadRaw<uint32_t>(base, idx);
    case DType::kInt64: return static_cast<double>(LoadRaw<int64_t>(base, idx));
    case DType::kUint64: return static_cast<double>(LoadRaw<uint64_t>(base, idx));
    case DType::kFloat16: return Decode(kHalf, LoadRaw<uint16_t>(base, idx));
    case DType::kBfloat16: return Decode(kBf16, LoadRaw<uint16_t>(base, idx));
    case DType::kFloat32: return LoadRaw<float>(base, idx);
    case DType::kFloat64: return LoadRaw<double>(base, idx);
    case DType::kF8e4m3: return Decode(kE4M3, LoadRaw<uint8_t>(base, idx));
    case DType::kF8e5m2: return Decode(kE5M2, LoadRaw<uint8_t>(base, idx));
  }
  return 0.0;
}

int64_t LoadAsInt(DType t, const void* base, std::size_t idx) {
  switch (t) {
    case DType::kInt8: return LoadRaw<int8_t>(base, idx);
    case DType::kUint8: return LoadRaw<uint8_t>(base, idx);
    case DType::kInt32: return LoadRaw<int32_t>(base, idx);
    case DType::kUint32: return LoadRaw<uint32_t>(base, idx);
    case DType::kInt64: return LoadRaw<int64_t>(base, idx);
    case DType::kUint64: return static_cast<int64_t>(LoadRaw<uint64_t>(base, idx));
    default: {
      const double d = LoadAsDouble(t, base, idx);
      if (!(d >= -9.2e18 && d <= 9.2e18)) return std::numeric_limits<int64_t>::min();
      return static_cast<int64_t>(d);
    }
  }
}

void StoreInt(DType t, void* base, std::size_t idx, int64_t v) {
  switch (t) {
    case DType::kInt8: StoreRaw<int8_t>(base, idx, static_cast<int8_t>(v)); break;
    case DType::kUint8: StoreRaw<uint8_t>(base, idx, static_cast<uint8_t>(v)); break;
    case DType::kInt32: StoreRaw<int32_t>(base, idx, static_cast<int32_t>(v)); break;
    case DType::kUint32: StoreRaw<uint32_t>(base, idx, static_cast<uint32_t>(v)); break;
    case DType::kInt64: StoreRaw<int64_t>(base, idx, v); break;
    case DType::kUint64: StoreRaw<uint64_t>(base, idx, static_cast<uint64_t>(v)); break;
    case DType::kFloat16:
      StoreRaw<uint16_t>(base, idx, static_cast<uint16_t>(Encode(kHalf, static_cast<double>(v))));
      break;
    case DType::kBfloat16:
      StoreRaw<uint16_t>(base, idx, static_cast<uint16_t>(Encode(kBf16, static_cast<double>(v))));
      break;
    case DType::kFloat32: StoreRaw<float>(base, idx, static_cast<float>(v)); break;
    case DType::kFloat64: StoreRaw<double>(base, idx, static_cast<double>(v)); break;
    case DType::kF8e4m3:
      StoreRaw<uint8_t>(base, idx, static_cast<uint8_t>(Encode(kE4M3, static_cast<double>(v))));
      break;
    case DType::kF8e5m2:
      StoreRaw<uint8_t>(base, idx, static_cast<uint8_t>(Encode(kE5M2, static_cast<double>(v))));
      break;
  }
}

void StoreDouble(DType t, void* base, std::size_t idx, double v) {
  switch (t) {
    case DType::kFloat16: StoreRaw<uint16_t>(base, idx, static_cast<uint16_t>(Encode(kHalf, v))); break;
    case DType::kBfloat16: StoreRaw<uint16_t>(base, idx, static_cast<uint16_t>(Encode(kBf16, v))); break;
    case DType::kFloat32: StoreRaw<float>(base, idx, static_cast<float>(v)); break;
    case DType::kFloat64: StoreRaw<double>(base, idx, v); break;
    case DType::kF8e4m3: StoreRaw<uint8_t>(base, idx, static_cast<uint8_t>(Encode(kE4M3, v))); break;
    case DType::kF8e5m2: StoreRaw<uint8_t>(base, idx, static_cast<uint8_t>(Encode(kE5M2, v))); break;
    default: StoreInt(t, base, idx, static_cast<int64_t>(v)); break;
  }
}

}  // namespace chorus::bench
