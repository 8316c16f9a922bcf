// chorus-bench's own narrow-float conversions: every bit pattern round-trips, the format limits
// and rounding rules hold.
#if __has_include("chorus-bench/numeric.h")
#include "chorus-bench/numeric.h"

#include <gtest/gtest.h>

#include <cmath>

namespace chorus::bench {
namespace {

struct Format {
  const char* name;
  MiniFloat f;
  int bits;
  double max_finite;
  double min_subnormal;
};

const Format kFormats[] = {
    {"half", kHalf, 16, 65504.0, std::ldexp(1.0, -24)},
    {"bf16", kBf16, 16, std::ldexp(255.0 / 128.0, 127), std::ldexp(1.0, -133)},
    {"e4m3", kE4M3, 8, 448.0, std::ldexp(1.0, -9)},
    {"e5m2", kE5M2, 8, 57344.0, std::ldexp(1.0, -16)},
};

TEST(BenchNumeric, EveryBitPatternRoundTrips) {
  for (const Format& fmt : kFormats) {
    for (uint32_t b = 0; b < (1u << fmt.bits); ++b) {
      const double v = Decode(fmt.f, b);
      if (std::isnan(v)) continue;
      ASSERT_EQ(Encode(fmt.f, v), b) << fmt.name << " bits 0x" << std::hex << b << " value " << v;
    }
  }
}

TEST(BenchNumeric, Limits) {
  for (const Format& fmt : kFormats) {
    EXPECT_EQ(Decode(fmt.f, Encode(fmt.f, fmt.max_finite)), fmt.max_finite) << fmt.name;
    EXPECT_EQ(Decode(fmt.f, Encode(fmt.f, fmt.min_subnormal)), fmt.min_subnormal) << fmt.name;
    EXPECT_EQ(Decode(fmt.f, Encode(fmt.f, -fmt.max_finite)), -fmt.max_finite) << fmt.name;
    // Twice the largest value does not fit: infinity, or NaN for E4M3FN which has no infinity.
    const double over = Decode(fmt.f, Encode(fmt.f, 2 * fmt.max_finite));
    if (fmt.f.finite_only) {
      EXPECT_TRUE(std::isnan(over)) << fmt.name;
    } else {
      EXPECT_TRUE(std::isinf(over)) << fmt.name;
    }
    EXPECT_TRUE(std::isnan(Decode(fmt.f, Encode(fmt.f, std::nan("")))));
  }
  EXPECT_EQ(Encode(kE4M3, 448.0), 0x7Eu);
  EXPECT_EQ(Encode(kE4M3, -448.0), 0xFEu);
  EXPECT_EQ(Encode(kHalf, 1.0), 0x3C00u);
  EXPECT_EQ(Encode(kBf16, 1.0), 0x3F80u);
  EXPECT_EQ(Encode(kE5M2, 1.0), 0x3Cu);
  EXPECT_EQ(Encode(kE4M3, 1.0), 0x38u);
}

TEST(BenchNumeric, RoundsToNearestEven) {
  // half: between 2048 and 2050 the spacing is 2; 2049 is a tie and goes to the even mantissa.
  EXPECT_EQ(Decode(kHalf, Encode(kHalf, 2049.0)), 2048.0);
  EXPECT_EQ(Decode(kHalf, Encode(kHalf, 2051.0)), 2052.0);
  EXPECT_EQ(Decode(kHalf, Encode(kHalf, 2049.5)), 2050.0);
  // e4m3: spacing 2 between 16 and 32; 17 -> 16 (even), 19 -> 20.
  EXPECT_EQ(Decode(kE4M3, Encode(kE4M3, 17.0)), 16.0);
  EXPECT_EQ(Decode(kE4M3, Encode(kE4M3, 19.0)), 20.0);
  // bf16: 257 is a tie between 256 and 258.
  EXPECT_EQ(Decode(kBf16, Encode(kBf16, 257.0)), 256.0);
}

TEST(BenchNumeric, ExactIntegerLimitsAreExact) {
  for (DType t : AllDTypes()) {
    if (!IsFloat(t)) continue;
    const int64_t e = ExactIntLimit(t);
    alignas(8) unsigned char buf[8];
    for (int64_t v = -e; v <= e; v += (e > 4096 ? e / 1024 : 1)) {
      StoreInt(t, buf, 0, v);
      ASSERT_EQ(LoadAsDouble(t, buf, 0), static_cast<double>(v)) << Name(t) << " " << v;
    }
    // One past the limit is not exact (that is what makes it the limit); doubles cannot show it
    // with a double as the reference.
    if (t == DType::kFloat64) continue;
    StoreInt(t, buf, 0, e + 1);
    EXPECT_NE(LoadAsDouble(t, buf, 0), static_cast<double>(e + 1)) << Name(t);
  }
}

}  // namespace
}  // namespace chorus::bench
#else
#include <gtest/gtest.h>
TEST(BenchNumeric, NotBuilt) { GTEST_SKIP() << "chorus-bench is not built (CLI11 or nlohmann-json missing)"; }
#endif
