// Host reduction kernels and narrow-float conversions against an independent reference.
//
// The reference decodes narrow floats with ldexp from their fields and rounds a double to a
// format by searching the sorted list of its finite values (ties to the even encoding), so it
// shares no code with the bit-twiddling under test. Every pairwise narrow-float result must match
// "compute in double, round once" bit for bit.
#include "device/host/reduce.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "core/types.h"
#include "device/host/reduce_scalar.h"
#include "device/host/reduce_simd.h"
#if defined(CHORUS_HAVE_HWY)
#include <hwy/targets.h>
#endif
#include "support/test_support.h"

namespace chorus::host {
namespace {

using chorus::testing::Rng;

constexpr DataType kAllTypes[] = {
    DataType::kInt8,    DataType::kUint8,   DataType::kInt32,      DataType::kUint32,
    DataType::kInt64,   DataType::kUint64,  DataType::kFloat16,    DataType::kBfloat16,
    DataType::kFloat32, DataType::kFloat64, DataType::kFloat8e4m3, DataType::kFloat8e5m2,
};
constexpr ReduceOp kReduceOps[] = {ReduceOp::kSum, ReduceOp::kProd, ReduceOp::kMin, ReduceOp::kMax};

// ---------------------------------------------------------------- reference narrow formats

struct Format {
  const char* name;
  int exp_bits;
  int man_bits;
  bool ieee_specials;  // top exponent = inf/NaN; otherwise only all-ones is NaN and overflow saturates
  int Bias() const { return (1 << (exp_bits - 1)) - 1; }
  uint32_t SignBit() const { return 1u << (exp_bits + man_bits); }
  uint32_t AbsMask() const { return SignBit() - 1; }
  uint32_t InfBits() const { return ((1u << exp_bits) - 1) << man_bits; }
  uint32_t MaxFinite() const { return ieee_specials ? InfBits() - 1 : AbsMask() - 1; }
};
constexpr Format kHalf{"float16", 5, 10, true};
constexpr Format kBf16{"bfloat16", 8, 7, true};
constexpr Format kE4M3{"float8e4m3", 4, 3, false};
constexpr Format kE5M2{"float8e5m2", 5, 2, true};

double RefDecode(const Format& f, uint32_t bits) {
  const bool neg = (bits & f.SignBit()) != 0;
  const uint32_t abs = bits & f.AbsMask();
  const uint32_t e = abs >> f.man_bits;
  const uint32_t m = abs & ((1u << f.man_bits) - 1);
  double mag;
  if (f.ieee_specials && e == (1u << f.exp_bits) - 1) {
    mag = m == 0 ? std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
  } else if (!f.ieee_specials && abs == f.AbsMask()) {
    mag = std::numeric_limits<double>::quiet_NaN();
  } else if (e == 0) {
    mag = std::ldexp(static_cast<double>(m), 1 - f.Bias() - f.man_bits);
  } else {
    mag = std::ldexp(1.0 + std::ldexp(static_cast<double>(m), -f.man_bits), static_cast<int>(e) - f.Bias());
  }
  return neg ? -mag : mag;
}

bool RefIsNaN(const Format& f, uint32_t bits) { return std::isnan(RefDecode(f, bits)); }

// Finite non-negative values in encoding order (which is value order).
const std::vector<double>& Values(const Format& f) {
  static std::vector<double> cache[4];
  const int slot = &f == &kHalf ? 0 : &f == &kBf16 ? 1 : &f == &kE4M3 ? 2 : 3;
  if (cache[slot].empty()) {
    for (uint32_t v = 0; v <= f.MaxFinite(); ++v) cache[slot].push_back(RefDecode(f, v));
  }
  return cache[slot];
}

// Rounds x to the format, to nearest with ties to the even encoding. Returns the bits, or
// AbsMask() (an all-ones pattern, NaN in every format here) for NaN.
uint32_t RefRound(const Format& f, double x) {
  if (std::isnan(x)) return f.AbsMask();
  const uint32_t sign = std::signbit(x) ? f.SignBit() : 0;
  const double a = std::fabs(x);
  const std::vector<double>& v = Values(f);
  const uint32_t max = f.MaxFinite();
  if (a >= v[max]) {
    if (a == v[max]) return sign | max;
    const double half_ulp = (v[max] - v[max - 1]) / 2;
    if (a < v[max] + half_ulp) return sign | max;
    return sign | (f.ieee_specials ? f.InfBits() : max);  // the tie goes to the even side: inf
  }
  const auto it = std::upper_bound(v.begin(), v.end(), a);  // first value > a
  const uint32_t hi = static_cast<uint32_t>(it - v.begin());
  const uint32_t lo = hi - 1;
  const double dlo = a - v[lo], dhi = v[hi] - a;
  if (dlo < dhi) return sign | lo;
  if (dhi < dlo) return sign | hi;
  return sign | ((lo & 1) == 0 ? lo : hi);
}

const Format* FormatOf(DataType t) {
  switch (t) {
    case DataType::kFloat16:
      return &kHalf;
    case DataType::kBfloat16:
      return &kBf16;
    case DataType::kFloat8e4m3:
      return &kE4M3;
    case DataType::kFloat8e5m2:
      return &kE5M2;
    default:
      return nullptr;
  }
}

float ToFloat(DataType t, uint32_t bits) {
  switch (t) {
    case DataType::kFloat16:
      return HalfToFloat(static_cast<uint16_t>(bits));
    case DataType::kBfloat16:
      return Bfloat16ToFloat(static_cast<uint16_t>(bits));
    case DataType::kFloat8e4m3:
      return Float8e4m3ToFloat(static_cast<uint8_t>(bits));
    default:
      return Float8e5m2ToFloat(static_cast<uint8_t>(bits));
  }
}

uint32_t FromFloat(DataType t, float x) {
  switch (t) {
    case DataType::kFloat16:
      return FloatToHalf(x);
    case DataType::kBfloat16:
      return FloatToBfloat16(x);
    case DataType::kFloat8e4m3:
      return FloatToFloat8e4m3(x);
    default:
      return FloatToFloat8e5m2(x);
  }
}

std::string Hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// ---------------------------------------------------------------- conversions

constexpr DataType kNarrowTypes[] = {DataType::kFloat16, DataType::kBfloat16, DataType::kFloat8e4m3,
                                     DataType::kFloat8e5m2};

// Every bit pattern decodes to the reference value and encodes back to itself (NaNs: to a NaN of
// the same sign, and quiet NaNs exactly).
TEST(FloatFormats, ExhaustiveRoundTrip) {
  for (DataType t : kNarrowTypes) {
    const Format& f = *FormatOf(t);
    const uint32_t patterns = f.SignBit() << 1;
    int failures = 0;
    for (uint32_t v = 0; v < patterns && failures < 10; ++v) {
      const float x = ToFloat(t, v);
      const double ref = RefDecode(f, v);
      const uint32_t back = FromFloat(t, x);
      if (std::isnan(ref)) {
        const bool quiet = f.ieee_specials ? (v & (1u << (f.man_bits - 1))) != 0 : true;
        const bool ok = std::isnan(x) && std::signbit(x) == ((v & f.SignBit()) != 0) && RefIsNaN(f, back) &&
                        (back & f.SignBit()) == (v & f.SignBit()) && (!quiet || back == v);
        if (!ok) {
          ++failures;
          ADD_FAILURE() << f.name << " NaN " << Hex(v) << " -> " << x << " -> " << Hex(back);
        }
        continue;
      }
      if (static_cast<double>(x) != ref || std::signbit(x) != std::signbit(ref) || back != v) {
        ++failures;
        ADD_FAILURE() << f.name << " " << Hex(v) << " decodes to " << x << " (ref " << ref << "), encodes to "
                      << Hex(back);
      }
    }
  }
}

// Rounding float32 -> narrow: every midpoint between neighbours (the ties), one float32 ulp either
// side of it, and random float32 bit patterns.
TEST(FloatFormats, RoundingMatchesReference) {
  Rng rng(12345);
  for (DataType t : kNarrowTypes) {
    const Format& f = *FormatOf(t);
    const std::vector<double>& v = Values(f);
    std::vector<float> inputs;
    for (size_t i = 0; i + 1 < v.size(); ++i) {
      const float mid = static_cast<float>((v[i] + v[i + 1]) / 2);
      ASSERT_EQ(static_cast<double>(mid), (v[i] + v[i + 1]) / 2) << "midpoint not exact in float32";
      inputs.push_back(mid);
      inputs.push_back(std::nextafter(mid, 0.0f));
      inputs.push_back(std::nextafter(mid, std::numeric_limits<float>::infinity()));
    }
    // Around and beyond the largest finite value.
    const double max = v.back(), ulp = v.back() - v[v.size() - 2];
    for (double d : {max, max + ulp / 2, max + ulp, 2 * max, 1e30}) {
      const float x = static_cast<float>(d);
      inputs.push_back(x);
      inputs.push_back(std::nextafter(x, 0.0f));
      inputs.push_back(std::nextafter(x, std::numeric_limits<float>::infinity()));
    }
    inputs.push_back(std::numeric_limits<float>::infinity());
    inputs.push_back(std::numeric_limits<float>::denorm_min());
    inputs.push_back(std::numeric_limits<float>::min());
    inputs.push_back(0.0f);
    for (int i = 0; i < 200000; ++i) {
      const uint32_t bits = static_cast<uint32_t>(rng.Next());
      float x;
      std::memcpy(&x, &bits, 4);
      inputs.push_back(x);
    }
    int failures = 0;
    for (float in : inputs) {
      for (float x : {in, -in}) {
        const uint32_t got = FromFloat(t, x);
        const uint32_t want = RefRound(f, x);
        const bool ok = std::isnan(x) ? RefIsNaN(f, got) : got == want;
        if (!ok && failures++ < 10) {
          ADD_FAILURE() << f.name << " round(" << x << " = " << Hex(std::bit_cast<uint32_t>(x)) << ") = " << Hex(got)
                        << ", want " << Hex(want);
        }
      }
    }
  }
}

TEST(FloatFormats, DocumentedEdges) {
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(FloatToFloat8e4m3(448.0f), 0x7E);
  EXPECT_EQ(FloatToFloat8e4m3(464.0f), 0x7E);  // would round up past the top: saturates
  EXPECT_EQ(FloatToFloat8e4m3(1e9f), 0x7E);
  EXPECT_EQ(FloatToFloat8e4m3(-1e9f), 0xFE);
  EXPECT_EQ(FloatToFloat8e4m3(inf), 0x7E);
  EXPECT_EQ(FloatToFloat8e4m3(-inf), 0xFE);
  EXPECT_TRUE(std::isnan(Float8e4m3ToFloat(0x7F)));
  EXPECT_TRUE(std::isnan(Float8e4m3ToFloat(0xFF)));
  EXPECT_EQ(Float8e4m3ToFloat(0x01), std::ldexp(1.0f, -9));
  EXPECT_EQ(FloatToFloat8e5m2(57344.0f), 0x7B);
  EXPECT_EQ(FloatToFloat8e5m2(61440.0f), 0x7C);  // the tie above the max rounds to inf
  EXPECT_EQ(FloatToFloat8e5m2(-inf), 0xFC);
  EXPECT_EQ(FloatToHalf(65504.0f), 0x7BFF);
  EXPECT_EQ(FloatToHalf(65519.99f), 0x7BFF);
  EXPECT_EQ(FloatToHalf(65520.0f), 0x7C00);
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -25)), 0x0000);  // tie to even: 0
  EXPECT_EQ(FloatToHalf(std::nextafter(std::ldexp(1.0f, -25), 1.0f)), 0x0001);
  EXPECT_EQ(FloatToHalf(-0.0f), 0x8000);
  EXPECT_EQ(FloatToBfloat16(std::numeric_limits<float>::max()), 0x7F80);  // rounds to inf
  EXPECT_EQ(FloatToBfloat16(std::numeric_limits<float>::denorm_min()), 0x0000);
  EXPECT_EQ(FloatToBfloat16(1.0f + std::ldexp(1.0f, -8)), 0x3F80);  // tie to even
  EXPECT_EQ(FloatToBfloat16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3F82);
}

// ---------------------------------------------------------------- reference reductions

uint64_t Load(DataType t, const unsigned char* p) {
  uint64_t v = 0;
  std::memcpy(&v, p, SizeOf(t));  // little-endian host
  return v;
}

double RefMinMax(double x, double y, bool is_min) {
  if (std::isnan(x) || std::isnan(y)) return std::numeric_limits<double>::quiet_NaN();
  if (x == 0 && y == 0) return (std::signbit(x) == is_min) ? x : y;  // -0 < +0
  return is_min ? std::min(x, y) : std::max(x, y);
}

double RefFloatOp(double x, double y, ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum:
      return x + y;
    case ReduceOp::kProd:
      return x * y;
    case ReduceOp::kMin:
      return RefMinMax(x, y, true);
    default:
      return RefMinMax(x, y, false);
  }
}

template <typename T>
uint64_t Bits(T v) {
  uint64_t out = 0;
  std::memcpy(&out, &v, sizeof(T));
  return out;
}

template <typename T>
T FromBits(uint64_t v) {
  T out;
  std::memcpy(&out, &v, sizeof(T));
  return out;
}

// Integer ops on sign-extended/zero-extended 128-bit values, truncated to the width.
template <typename T>
uint64_t RefInt(uint64_t xb, uint64_t yb, ReduceOp op) {
  const __int128 x = FromBits<T>(xb), y = FromBits<T>(yb);
  __int128 r;
  switch (op) {
    case ReduceOp::kSum:
      r = x + y;
      break;
    case ReduceOp::kProd:
      r = static_cast<__int128>(static_cast<unsigned __int128>(x) * static_cast<unsigned __int128>(y));
      break;
    case ReduceOp::kMin:
      r = x < y ? x : y;
      break;
    default:
      r = x > y ? x : y;
      break;
  }
  return Bits(static_cast<T>(static_cast<uint64_t>(r)));
}

// The expected bits of x (op) y, and whether the expectation is "some NaN".
struct Expect {
  uint64_t bits;
  bool nan;
};

Expect RefReduce(DataType t, uint64_t x, uint64_t y, ReduceOp op) {
  switch (t) {
    case DataType::kInt8:
      return {RefInt<int8_t>(x, y, op), false};
    case DataType::kUint8:
      return {RefInt<uint8_t>(x, y, op), false};
    case DataType::kInt32:
      return {RefInt<int32_t>(x, y, op), false};
    case DataType::kUint32:
      return {RefInt<uint32_t>(x, y, op), false};
    case DataType::kInt64:
      return {RefInt<int64_t>(x, y, op), false};
    case DataType::kUint64: {
      // __int128 holds every uint64 too.
      const unsigned __int128 a = x, b = y;
      unsigned __int128 r = op == ReduceOp::kSum    ? a + b
                            : op == ReduceOp::kProd ? a * b
                            : op == ReduceOp::kMin  ? std::min(a, b)
                                                    : std::max(a, b);
      return {static_cast<uint64_t>(r), false};
    }
    case DataType::kFloat32: {
      const double r = RefFloatOp(FromBits<float>(x), FromBits<float>(y), op);
      return {Bits(static_cast<float>(r)), std::isnan(r)};  // double rounding is innocuous: 53 >= 2*24+2
    }
    case DataType::kFloat64: {
      const double a = FromBits<double>(x), b = FromBits<double>(y);
      const double r = op == ReduceOp::kSum ? a + b : op == ReduceOp::kProd ? a * b : RefFloatOp(a, b, op);
      return {Bits(r), std::isnan(r)};
    }
    default: {
      const Format& f = *FormatOf(t);
      const double r = RefFloatOp(RefDecode(f, static_cast<uint32_t>(x)), RefDecode(f, static_cast<uint32_t>(y)), op);
      return {RefRound(f, r), std::isnan(r)};
    }
  }
}

bool IsNaNBits(DataType t, uint64_t v) {
  switch (t) {
    case DataType::kFloat32:
      return std::isnan(FromBits<float>(v));
    case DataType::kFloat64:
      return std::isnan(FromBits<double>(v));
    default:
      return FormatOf(t) && RefIsNaN(*FormatOf(t), static_cast<uint32_t>(v));
  }
}

// ---------------------------------------------------------------- inputs

// Interesting values per type, as bit patterns.
std::vector<uint64_t> EdgeValues(DataType t) {
  switch (t) {
    case DataType::kInt8:
      return {0, 1, 0x7F, 0x80, 0xFF, 0x81, 2, 0x40};
    case DataType::kUint8:
      return {0, 1, 0x7F, 0x80, 0xFF, 0x10, 2, 0xFE};
    case DataType::kInt32:
      return {0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x10000, 0x80000001, 3};
    case DataType::kUint32:
      return {0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x10000, 0xFFFFFFFE, 3};
    case DataType::kInt64:
    case DataType::kUint64:
      return {0,          1, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000, 0xFFFFFFFFFFFFFFFF, 0x100000000,
              0xFFFFFFFF, 3, 0x8000000000000001};
    case DataType::kFloat32:
      return {Bits(0.0f),
              Bits(-0.0f),
              Bits(1.0f),
              Bits(-1.5f),
              Bits(std::numeric_limits<float>::infinity()),
              Bits(-std::numeric_limits<float>::infinity()),
              Bits(std::numeric_limits<float>::quiet_NaN()),
              0xFFC00001,
              Bits(std::numeric_limits<float>::max()),
              Bits(std::numeric_limits<float>::denorm_min()),
              Bits(std::numeric_limits<float>::min()),
              0x80000001};
    case DataType::kFloat64:
      return {Bits(0.0),
              Bits(-0.0),
              Bits(1.0),
              Bits(-1.5),
              Bits(std::numeric_limits<double>::infinity()),
              Bits(-std::numeric_limits<double>::infinity()),
              Bits(std::numeric_limits<double>::quiet_NaN()),
              0xFFF8000000000001,
              Bits(std::numeric_limits<double>::max()),
              Bits(std::numeric_limits<double>::denorm_min()),
              Bits(std::numeric_limits<double>::min())};
    case DataType::kFloat16:
      // zero, -0, 1, min subnormal, max subnormal, min normal, max, inf, -inf, qNaN, sNaN, -qNaN
      return {0x0000, 0x8000, 0x3C00, 0x0001, 0x03FF, 0x0400, 0x7BFF,
              0xFBFF, 0x7C00, 0xFC00, 0x7E00, 0x7C01, 0xFE00, 0x3C01};
    case DataType::kBfloat16:
      return {0x0000, 0x8000, 0x3F80, 0x0001, 0x007F, 0x0080, 0x7F7F,
              0xFF7F, 0x7F80, 0xFF80, 0x7FC0, 0x7F81, 0xFFC0, 0x3F81};
    case DataType::kFloat8e4m3:
      return {0x00, 0x80, 0x38, 0x01, 0x07, 0x08, 0x7E, 0xFE, 0x7F, 0xFF, 0x77, 0x39};
    case DataType::kFloat8e5m2:
      return {0x00, 0x80, 0x3C, 0x01, 0x03, 0x04, 0x7B, 0xFB, 0x7C, 0xFC, 0x7E, 0x7D, 0xFE, 0x3D};
  }
  return {};
}

uint64_t RandomValue(DataType t, Rng& rng) {
  const uint64_t r = rng.Next();
  switch (t) {
    case DataType::kFloat32:
      // Mostly moderate magnitudes (so sums and products round), some raw bit patterns.
      if (r % 8 != 0) return Bits(static_cast<float>(static_cast<int64_t>(r >> 20) % 100000) / 7.0f);
      return r & 0xFFFFFFFF;
    case DataType::kFloat64:
      if (r % 8 != 0) return Bits(static_cast<double>(static_cast<int64_t>(r >> 12) % 100000000) / 7.0);
      return r;
    default:
      return r & (SizeOf(t) == 8 ? ~0ull : ((1ull << (8 * SizeOf(t))) - 1));
  }
}

// ---------------------------------------------------------------- the sweep

using ReduceFn = std::function<void(void*, const void*, const void*, Count, DataType, ReduceOp)>;

enum class Alias { kNone, kDstIsA, kDstIsB };

// Runs fn on `count` elements starting at byte offset `offset` and checks every element against
// the reference, and that the bytes around dst are untouched. Returns "" or a description.
std::string CheckReduce(const ReduceFn& fn, DataType t, ReduceOp op, Count count, size_t offset, Alias alias,
                        uint64_t seed, const std::vector<uint64_t>* fixed_a = nullptr,
                        const std::vector<uint64_t>* fixed_b = nullptr) {
  const size_t es = SizeOf(t);
  const size_t guard = 64;
  std::vector<unsigned char> abuf(count * es + 2 * guard), bbuf(count * es + 2 * guard),
      dbuf(count * es + 2 * guard, 0xA5);
  Rng rng(seed);
  unsigned char* a = abuf.data() + guard + offset;
  unsigned char* b = bbuf.data() + guard + offset;
  for (Count i = 0; i < count; ++i) {
    const uint64_t x = fixed_a ? (*fixed_a)[i] : RandomValue(t, rng);
    const uint64_t y = fixed_b ? (*fixed_b)[i] : RandomValue(t, rng);
    std::memcpy(a + i * es, &x, es);
    std::memcpy(b + i * es, &y, es);
  }
  const std::vector<unsigned char> a0(abuf), b0(bbuf);
  unsigned char* d = alias == Alias::kDstIsA ? a : alias == Alias::kDstIsB ? b : dbuf.data() + guard + offset;
  fn(d, a, b, count, t, op);
  const unsigned char* pa0 = a0.data() + guard + offset;
  const unsigned char* pb0 = b0.data() + guard + offset;
  int bad = 0;
  std::string msg;
  for (Count i = 0; i < count; ++i) {
    const uint64_t x = Load(t, pa0 + i * es), y = Load(t, pb0 + i * es), got = Load(t, d + i * es);
    const Expect want = RefReduce(t, x, y, op);
    const bool ok = want.nan ? IsNaNBits(t, got) : got == want.bits;
    if (!ok && bad++ < 5) {
      msg += std::string(Name(t)) + " " + Name(op) + " n=" + std::to_string(count) + " off=" + std::to_string(offset) +
             " alias=" + std::to_string(static_cast<int>(alias)) + " seed=" + std::to_string(seed) + " [" +
             std::to_string(i) + "] " + Hex(x) + " op " + Hex(y) + " = " + Hex(got) + ", want " +
             (want.nan ? "NaN" : Hex(want.bits)) + "\n";
    }
  }
  // The untouched side of the aliasing, and the guard bytes around dst.
  if (alias != Alias::kDstIsA && std::memcmp(a0.data(), abuf.data(), abuf.size()) != 0) msg += "a was modified\n";
  if (alias != Alias::kDstIsB && std::memcmp(b0.data(), bbuf.data(), bbuf.size()) != 0) msg += "b was modified\n";
  const unsigned char* base = alias == Alias::kDstIsA   ? abuf.data()
                              : alias == Alias::kDstIsB ? bbuf.data()
                                                        : dbuf.data();
  const std::vector<unsigned char>& orig = alias == Alias::kDstIsA   ? a0
                                           : alias == Alias::kDstIsB ? b0
                                                                     : std::vector<unsigned char>(dbuf.size(), 0xA5);
  for (size_t i = 0; i < guard + offset; ++i) {
    if (base[i] != orig[i]) {
      msg += "wrote before dst\n";
      break;
    }
  }
  for (size_t i = guard + offset + count * es; i < orig.size(); ++i) {
    if (base[i] != orig[i]) {
      msg += "wrote past the end of dst (n=" + std::to_string(count) + " " + Name(t) + " " + Name(op) + ")\n";
      break;
    }
  }
  return msg;
}

struct Impl {
  std::string name;
  ReduceFn fn;
};

#if defined(CHORUS_HAVE_HWY)
// Each instruction set compiled in and supported by this CPU, forced in turn.
std::vector<int64_t> SimdTargets() {
  std::vector<int64_t> out;
  const int64_t mask = internal::SimdCompiledTargets() & hwy::SupportedTargets();
  for (int64_t bit = 1; bit != 0 && bit <= mask; bit <<= 1) {
    if (mask & bit) out.push_back(bit);
  }
  return out;
}

// Runs f with only `target` enabled for dispatch, and checks that it was the one used.
template <typename F>
void WithTarget(int64_t target, F f) {
  hwy::SetSupportedTargetsForTest(target);
  const std::string used = internal::SimdTargetName();
  f();
  hwy::SetSupportedTargetsForTest(0);
  ASSERT_EQ(used, hwy::TargetName(target));
}
#endif

std::vector<Impl> Implementations() {
  std::vector<Impl> impls = {{"Reduce", [](void* d, const void* a, const void* b, Count n, DataType t,
                                           ReduceOp o) { Reduce(d, a, b, n, t, o); }},
                             {"ReduceScalar", [](void* d, const void* a, const void* b, Count n, DataType t,
                                                 ReduceOp o) { internal::ReduceScalar(d, a, b, n, t, o); }}};
#if defined(CHORUS_HAVE_HWY)
  // Each target with cached stores, and with streaming stores (as used for large results).
  for (int64_t target : SimdTargets()) {
    for (bool nt : {false, true}) {
      impls.push_back({std::string(hwy::TargetName(target)) + (nt ? "+streaming" : ""),
                       [target, nt](void* d, const void* a, const void* b, Count n, DataType t, ReduceOp o) {
                         WithTarget(target, [&] { internal::ReduceSimd(d, a, b, n, t, o, nt); });
                       }});
    }
  }
#endif
  return impls;
}

TEST(Reduce, ReportsTargets) {
#if defined(CHORUS_HAVE_HWY)
  std::string names;
  for (int64_t t : SimdTargets()) names += std::string(hwy::TargetName(t)) + " ";
  std::printf("dispatch picks %s; testing %s\n", internal::SimdTargetName(), names.c_str());
  EXPECT_FALSE(SimdTargets().empty());
#else
  GTEST_SKIP() << "built without Highway";
#endif
}

TEST(Reduce, SmallSizesOffsetsAndAliasing) {
  for (const Impl& impl : Implementations()) {
    for (DataType t : kAllTypes) {
      for (ReduceOp op : kReduceOps) {
        for (Count n : {Count{0}, Count{1}, Count{7}, Count{33}, Count{100}, Count{257}, Count{1000}}) {
          // Offset 1 misaligns the elements; 3 elements keeps them aligned but not to the vector
          // (streaming stores then start after a partial head).
          for (size_t off : {size_t{0}, size_t{1}, 3 * SizeOf(t)}) {
            for (Alias al : {Alias::kNone, Alias::kDstIsA, Alias::kDstIsB}) {
              const std::string err = CheckReduce(impl.fn, t, op, n, off, al, 1000 + n);
              ASSERT_TRUE(err.empty()) << impl.name << ": " << err;
            }
          }
        }
      }
    }
  }
}

// Large enough for the unrolled main loops; dst offset by one byte from alignment.
TEST(Reduce, LargeUnaligned) {
  for (DataType t : kAllTypes) {
    for (ReduceOp op : kReduceOps) {
      const std::string err = CheckReduce(Implementations()[0].fn, t, op, 1000003, 1, Alias::kNone, 7);
      ASSERT_TRUE(err.empty()) << err;
    }
  }
}

// Every implementation on a few thousand elements with dst, a and b at different misalignments.
TEST(Reduce, MixedOffsets) {
  for (const Impl& impl : Implementations()) {
    for (DataType t : kAllTypes) {
      for (ReduceOp op : kReduceOps) {
        const size_t es = SizeOf(t);
        const Count n = 4099;
        Rng rng(5);
        std::vector<unsigned char> a(n * es + 3), b(n * es + 5), d(n * es + 7);
        for (auto& c : a) c = static_cast<unsigned char>(rng.Next());
        for (auto& c : b) c = static_cast<unsigned char>(rng.Next());
        impl.fn(d.data() + 7, a.data() + 3, b.data() + 5, n, t, op);
        for (Count i = 0; i < n; ++i) {
          const uint64_t x = Load(t, a.data() + 3 + i * es), y = Load(t, b.data() + 5 + i * es);
          const uint64_t got = Load(t, d.data() + 7 + i * es);
          const Expect want = RefReduce(t, x, y, op);
          ASSERT_TRUE(want.nan ? IsNaNBits(t, got) : got == want.bits)
              << impl.name << " " << Name(t) << " " << Name(op) << " [" << i << "] " << Hex(x) << ", " << Hex(y)
              << " -> " << Hex(got) << " want " << Hex(want.bits);
        }
      }
    }
  }
}

// Random 16-bit pairs (raw bit patterns: every class of value) through every implementation.
TEST(Reduce, Float16PairsRandom) {
  for (const Impl& impl : Implementations()) {
    for (DataType t : {DataType::kFloat16, DataType::kBfloat16}) {
      for (ReduceOp op : kReduceOps) {
        const std::string err = CheckReduce(impl.fn, t, op, 1 << 16, 0, Alias::kNone, 31);
        ASSERT_TRUE(err.empty()) << impl.name << ": " << err;
      }
    }
  }
}

// Every pair of edge values, in both orders.
TEST(Reduce, EdgeValuePairs) {
  for (const Impl& impl : Implementations()) {
    for (DataType t : kAllTypes) {
      const std::vector<uint64_t> e = EdgeValues(t);
      std::vector<uint64_t> xs, ys;
      for (uint64_t x : e) {
        for (uint64_t y : e) {
          xs.push_back(x);
          ys.push_back(y);
        }
      }
      for (ReduceOp op : kReduceOps) {
        const std::string err = CheckReduce(impl.fn, t, op, xs.size(), 0, Alias::kNone, 0, &xs, &ys);
        ASSERT_TRUE(err.empty()) << impl.name << ": " << err;
      }
    }
  }
}

// float8: every pair of the 256 x 256 patterns.
TEST(Reduce, Float8ExhaustivePairs) {
  std::vector<uint64_t> xs, ys;
  for (uint64_t x = 0; x < 256; ++x) {
    for (uint64_t y = 0; y < 256; ++y) {
      xs.push_back(x);
      ys.push_back(y);
    }
  }
  for (const Impl& impl : Implementations()) {
    for (DataType t : {DataType::kFloat8e4m3, DataType::kFloat8e5m2}) {
      for (ReduceOp op : kReduceOps) {
        const std::string err = CheckReduce(impl.fn, t, op, xs.size(), 1, Alias::kNone, 0, &xs, &ys);
        ASSERT_TRUE(err.empty()) << impl.name << ": " << err;
      }
    }
  }
}

// Specific results the documentation promises.
TEST(Reduce, DocumentedResults) {
  {
    const uint8_t a[] = {0x7E, 0xFE, 0x7E}, b[] = {0x7E, 0xFE, 0x00};  // 448+448, -448-448, 448+0
    uint8_t d[3];
    Reduce(d, a, b, 3, DataType::kFloat8e4m3, ReduceOp::kSum);
    EXPECT_EQ(d[0], 0x7E);
    EXPECT_EQ(d[1], 0xFE);
    EXPECT_EQ(d[2], 0x7E);
    Reduce(d, a, b, 3, DataType::kFloat8e5m2, ReduceOp::kSum);  // here 0x7E is a NaN
    EXPECT_TRUE(std::isnan(Float8e5m2ToFloat(d[0])));
    const uint8_t c[] = {0x7B, 0xFB}, e[] = {0x7B, 0xFB};  // 57344 + 57344 -> inf
    Reduce(d, c, e, 2, DataType::kFloat8e5m2, ReduceOp::kSum);
    EXPECT_EQ(d[0], 0x7C);
    EXPECT_EQ(d[1], 0xFC);
  }
  {
    const int8_t a[] = {127, -128, -128, 127}, b[] = {1, -1, 127, -128};
    int8_t d[4];
    Reduce(d, a, b, 4, DataType::kInt8, ReduceOp::kSum);
    EXPECT_EQ(d[0], -128);
    EXPECT_EQ(d[1], 127);
    Reduce(d, a, b, 4, DataType::kInt8, ReduceOp::kMin);
    EXPECT_EQ(d[2], -128);
    EXPECT_EQ(d[3], -128);
    const uint64_t ua[] = {0xFFFFFFFFFFFFFFFF, 0}, ub[] = {1, 0x8000000000000000};
    uint64_t ud[2];
    Reduce(ud, ua, ub, 2, DataType::kUint64, ReduceOp::kMax);
    EXPECT_EQ(ud[0], 0xFFFFFFFFFFFFFFFFull);
    EXPECT_EQ(ud[1], 0x8000000000000000ull);
  }
  {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float a[] = {nan, 1.0f, -0.0f, 0.0f}, b[] = {1.0f, nan, 0.0f, -0.0f};
    float d[4];
    Reduce(d, a, b, 4, DataType::kFloat32, ReduceOp::kMin);
    EXPECT_TRUE(std::isnan(d[0]));
    EXPECT_TRUE(std::isnan(d[1]));
    EXPECT_TRUE(std::signbit(d[2]));
    EXPECT_TRUE(std::signbit(d[3]));
    Reduce(d, a, b, 4, DataType::kFloat32, ReduceOp::kMax);
    EXPECT_TRUE(std::isnan(d[0]));
    EXPECT_TRUE(std::isnan(d[1]));
    EXPECT_FALSE(std::signbit(d[2]));
    EXPECT_FALSE(std::signbit(d[3]));
  }
}

// ---------------------------------------------------------------- DivideBy

Expect RefDivide(DataType t, uint64_t x, int n) {
  switch (t) {
    case DataType::kInt8:
      return {Bits(static_cast<int8_t>(FromBits<int8_t>(x) / n)), false};
    case DataType::kUint8:
      return {Bits(static_cast<uint8_t>(FromBits<uint8_t>(x) / n)), false};
    case DataType::kInt32:
      return {Bits(static_cast<int32_t>(FromBits<int32_t>(x) / n)), false};
    case DataType::kUint32:
      return {Bits(static_cast<uint32_t>(FromBits<uint32_t>(x) / static_cast<uint32_t>(n))), false};
    case DataType::kInt64:
      return {Bits(static_cast<int64_t>(FromBits<int64_t>(x) / n)), false};
    case DataType::kUint64:
      return {Bits(static_cast<uint64_t>(x / static_cast<uint64_t>(n))), false};
    case DataType::kFloat32: {
      const double r = static_cast<double>(FromBits<float>(x)) / n;
      return {Bits(static_cast<float>(r)), std::isnan(r)};
    }
    case DataType::kFloat64: {
      const double r = FromBits<double>(x) / n;
      return {Bits(r), std::isnan(r)};
    }
    default: {
      const Format& f = *FormatOf(t);
      const double r = RefDecode(f, static_cast<uint32_t>(x)) / n;
      return {RefRound(f, r), std::isnan(r)};
    }
  }
}

using DivideFn = std::function<void(void*, Count, DataType, int)>;

TEST(DivideBy, MatchesReference) {
  std::vector<std::pair<std::string, DivideFn>> impls = {
      {"DivideBy", [](void* p, Count n, DataType t, int d) { DivideBy(p, n, t, d); }},
      {"DivideByScalar", [](void* p, Count n, DataType t, int d) { internal::DivideByScalar(p, n, t, d); }}};
#if defined(CHORUS_HAVE_HWY)
  for (int64_t target : SimdTargets()) {
    impls.push_back({hwy::TargetName(target), [target](void* p, Count n, DataType t, int d) {
                       WithTarget(target, [&] { internal::DivideBySimd(p, n, t, d); });
                     }});
  }
#endif
  for (const auto& [name, fn] : impls) {
    for (DataType t : kAllTypes) {
      for (int divisor : {1, 2, 3, 7, 1000}) {
        for (Count n : {Count{0}, Count{1}, Count{33}, Count{4099}}) {
          const size_t es = SizeOf(t);
          std::vector<unsigned char> buf(n * es + 2);
          Rng rng(99 + n);
          std::vector<uint64_t> in(n);
          const std::vector<uint64_t> edges = EdgeValues(t);
          for (Count i = 0; i < n; ++i) {
            in[i] = i < edges.size() ? edges[i] : RandomValue(t, rng);
            std::memcpy(buf.data() + 1 + i * es, &in[i], es);
          }
          fn(buf.data() + 1, n, t, divisor);
          for (Count i = 0; i < n; ++i) {
            const uint64_t got = Load(t, buf.data() + 1 + i * es);
            const Expect want = RefDivide(t, in[i], divisor);
            const bool ok = want.nan ? IsNaNBits(t, got) : got == want.bits;
            ASSERT_TRUE(ok) << name << " " << Name(t) << " [" << i << "] " << Hex(in[i]) << " / " << divisor << " = "
                            << Hex(got) << ", want " << (want.nan ? "NaN" : Hex(want.bits));
          }
          ASSERT_EQ(buf[0], 0);
          ASSERT_EQ(buf[n * es + 1], 0);
        }
      }
    }
  }
}

TEST(DivideBy, IntegerTruncatesTowardZero) {
  int32_t v[] = {-7, 7, -1, INT32_MIN};
  DivideBy(v, 4, DataType::kInt32, 2);
  EXPECT_EQ(v[0], -3);
  EXPECT_EQ(v[1], 3);
  EXPECT_EQ(v[2], 0);
  EXPECT_EQ(v[3], INT32_MIN / 2);
  int32_t w[] = {5};
  DivideBy(w, 1, DataType::kInt32, 0);  // not a valid divisor: left unchanged
  EXPECT_EQ(w[0], 5);
}

}  // namespace
}  // namespace chorus::host
