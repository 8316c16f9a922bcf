// The data pattern's promise: for every type, op and rank count, reducing the inputs in the element
// type, in any order, rounding after every step, gives exactly Pattern::Reduced (avg on floats:
// within its tolerance, including the pre-multiplied form).
#if __has_include("chorus-bench/pattern.h")
#include "chorus-bench/pattern.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "chorus-bench/numeric.h"

namespace chorus::bench {
namespace {

// Rounds v to type t (the element type's arithmetic result), wrapping integers like the hardware.
double RoundTo(DType t, double v) {
  alignas(8) unsigned char buf[8];
  switch (t) {
    case DType::kFloat16: return Decode(kHalf, Encode(kHalf, v));
    case DType::kBfloat16: return Decode(kBf16, Encode(kBf16, v));
    case DType::kF8e4m3: return Decode(kE4M3, Encode(kE4M3, v));
    case DType::kF8e5m2: return Decode(kE5M2, Encode(kE5M2, v));
    case DType::kFloat32: return static_cast<float>(v);
    case DType::kFloat64: return v;
    default:
      StoreInt(t, buf, 0, static_cast<int64_t>(v));
      return static_cast<double>(LoadAsInt(t, buf, 0));
  }
}

double Apply(Op op, double a, double b) {
  switch (op) {
    case Op::kSum:
    case Op::kAvg: return a + b;
    case Op::kProd: return a * b;
    case Op::kMin: return std::min(a, b);
    case Op::kMax: return std::max(a, b);
  }
  return 0;
}

// Folds `v` in type t: left to right, right to left, or as a balanced tree.
double Fold(DType t, Op op, const std::vector<double>& v, int order) {
  if (order == 2) {
    std::vector<double> level = v;
    while (level.size() > 1) {
      std::vector<double> next;
      for (std::size_t i = 0; i + 1 < level.size(); i += 2) next.push_back(RoundTo(t, Apply(op, level[i], level[i + 1])));
      if (level.size() % 2) next.push_back(level.back());
      level = next;
    }
    return level[0];
  }
  double acc = order == 0 ? v.front() : v.back();
  for (std::size_t k = 1; k < v.size(); ++k) {
    acc = RoundTo(t, Apply(op, acc, order == 0 ? v[k] : v[v.size() - 1 - k]));
  }
  return acc;
}

TEST(BenchPattern, ReductionsAreExactInEveryOrder) {
  for (DType t : AllDTypes()) {
    for (Op op : AllOps()) {
      for (int n : {1, 2, 3, 4, 5, 7, 8, 16, 33, 64}) {
        const Pattern p(t, op, /*reducing=*/true, n);
        for (uint64_t idx = 0; idx < 200; ++idx) {
          std::vector<double> in;
          for (int r = 0; r < n; ++r) {
            const int64_t v = p.Input(r, idx);
            ASSERT_EQ(RoundTo(t, static_cast<double>(v)), static_cast<double>(v))
                << Name(t) << " " << Name(op) << " n=" << n << " input " << v << " is not representable";
            in.push_back(static_cast<double>(v));
          }
          const Expected e = p.Reduced(idx);
          if (op == Op::kAvg && IsFloat(t)) {
            ASSERT_TRUE(e.approximate);
            // Sum then divide, and pre-multiply by 1/n then sum: both within the tolerance.
            const double sum_then_div = RoundTo(t, Fold(t, Op::kSum, in, 0) / n);
            std::vector<double> scaled;
            for (double x : in) scaled.push_back(RoundTo(t, x * RoundTo(t, 1.0 / n)));
            const double premul = Fold(t, Op::kSum, scaled, 0);
            EXPECT_LE(std::fabs(sum_then_div - e.value), e.tolerance) << Name(t) << " n=" << n << " idx " << idx;
            EXPECT_LE(std::fabs(premul - e.value), e.tolerance) << Name(t) << " n=" << n << " idx " << idx;
            EXPECT_GT(e.value, 0.0);
            continue;
          }
          ASSERT_FALSE(e.approximate);
          for (int order = 0; order < 3; ++order) {
            double got = Fold(t, op, in, order);
            if (op == Op::kAvg) got = std::trunc(got / n);  // integers: sum, then divide
            ASSERT_EQ(got, static_cast<double>(e.exact))
                << Name(t) << " " << Name(op) << " n=" << n << " idx " << idx << " order " << order;
          }
        }
      }
    }
  }
}

TEST(BenchPattern, ValuesVaryWithRankAndIndex) {
  // A misplaced block must show: inputs differ between ranks and along the buffer.
  for (DType t : AllDTypes()) {
    const Pattern p(t, Op::kSum, /*reducing=*/false, 4);
    int differ_rank = 0, differ_idx = 0;
    for (uint64_t i = 0; i < 256; ++i) {
      differ_rank += p.Input(0, i) != p.Input(1, i);
      differ_idx += p.Input(0, i) != p.Input(0, i + 1);
    }
    EXPECT_GT(differ_rank, 128) << Name(t);
    EXPECT_GT(differ_idx, 128) << Name(t);
  }
}

TEST(BenchPattern, NonZeroValuesAppearForEveryRank) {
  // With few exact integers (fp8) only some ranks may be nonzero at an index: each rank still is,
  // somewhere, so a rank whose data is dropped is detected.
  for (DType t : {DType::kF8e5m2, DType::kF8e4m3, DType::kInt8}) {
    const int n = 64;
    const Pattern p(t, Op::kSum, true, n);
    for (int r = 0; r < n; ++r) {
      int nonzero = 0;
      for (uint64_t i = 0; i < 512; ++i) nonzero += p.Input(r, i) != 0;
      EXPECT_GT(nonzero, 0) << Name(t) << " rank " << r;
    }
  }
}

}  // namespace
}  // namespace chorus::bench
#else
#include <gtest/gtest.h>
TEST(BenchPattern, NotBuilt) { GTEST_SKIP() << "chorus-bench is not built (CLI11 or nlohmann-json missing)"; }
#endif
