// The data the benchmark sends and the results it expects, as integers chosen so that every
// reduction is exact in the element type whatever order the library reduces in:
//  sum      small integers (|v| <= 15); only A = min(nranks, E) ranks are nonzero at an index and
//           A*max|v| <= E, E the largest integer below which the type is exact (f8e5m2: 8, bf16: 256)
//  prod     +-1 and +-2, with at most MaxPow2(type) twos per index
//  min/max  integers in [-15, 15] ([0, 15] for unsigned types)
//  avg      integers: inputs are nranks*k, so the average is the exact integer sum of k;
//           floats: positive sum-pattern values, compared with a tolerance eps*(nranks+1)*expected
//           (libraries may pre-multiply by 1/nranks, which is inexact when nranks is not a power
//           of two; that bound covers it); weak for fp8, whose eps is 1/8 or 1/4
// Non-reducing collectives use the min/max pattern. Values depend on (rank, index) through a hash,
// so a misplaced block or rank is detected.
#pragma once

#include <cstddef>
#include <cstdint>

#include "chorus-bench/vocab.h"

namespace chorus::bench {

struct Expected {
  int64_t exact = 0;     // the value when `approximate` is false
  bool approximate = false;
  double value = 0.0;    // when approximate: the real-valued result
  double tolerance = 0.0;
};

class Pattern {
 public:
  // `op` is ignored for collectives that do not reduce.
  Pattern(DType type, Op op, bool reducing, int nranks);

  // Input element `idx` of rank `rank`.
  int64_t Input(int rank, uint64_t idx) const;
  // The op applied to Input(r, idx) over all ranks r.
  Expected Reduced(uint64_t idx) const;

  DType type() const { return type_; }
  Op op() const { return op_; }
  bool reducing() const { return reducing_; }

 private:
  int64_t SumValue(int rank, uint64_t idx, int64_t limit, bool positive) const;

  DType type_;
  Op op_;
  bool reducing_;
  int nranks_;
  bool signed_;
};

}  // namespace chorus::bench
