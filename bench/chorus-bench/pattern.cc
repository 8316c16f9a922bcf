#include "chorus-bench/pattern.h"

#include <algorithm>
#include <cmath>

#include "chorus-bench/numeric.h"

namespace chorus::bench {
namespace {

constexpr int64_t kMaxMagnitude = 15;

uint64_t Mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

uint64_t Hash(int rank, uint64_t idx) {
  return Mix(idx * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(rank) * 0xD1B54A32D192ED03ULL +
             0x2545F4914F6CDD1DULL);
}

// A value in [-m, m] (signed) or [0, m].
int64_t Ranged(uint64_t h, int64_t m, bool is_signed) {
  if (m <= 0) return 0;
  if (is_signed) return static_cast<int64_t>(h % static_cast<uint64_t>(2 * m + 1)) - m;
  return static_cast<int64_t>(h % static_cast<uint64_t>(m + 1));
}

// Whether rank r is one of the `active` ranks allowed a non-neutral value at idx: a window of ranks
// that moves with the index, so every rank contributes somewhere.
bool Active(int rank, uint64_t idx, int nranks, int64_t active) {
  if (active >= nranks) return true;
  const uint64_t n = static_cast<uint64_t>(nranks);
  const uint64_t offset = (static_cast<uint64_t>(rank) + n - idx % n) % n;
  return static_cast<int64_t>(offset) < active;
}

}  // namespace

Pattern::Pattern(DType type, Op op, bool reducing, int nranks)
    : type_(type), op_(reducing ? op : Op::kMax), reducing_(reducing), nranks_(std::max(1, nranks)),
      signed_(IsSigned(type)) {}

int64_t Pattern::SumValue(int rank, uint64_t idx, int64_t limit, bool positive) const {
  const int64_t active = std::min<int64_t>(nranks_, limit);
  if (active <= 0 || !Active(rank, idx, nranks_, active)) return 0;
  const int64_t m = std::min(kMaxMagnitude, limit / active);
  if (positive) return 1 + Ranged(Hash(rank, idx), m - 1, false);
  return Ranged(Hash(rank, idx), m, signed_);
}

int64_t Pattern::Input(int rank, uint64_t idx) const {
  const int64_t limit = ExactIntLimit(type_);
  switch (op_) {
    case Op::kSum: return SumValue(rank, idx, limit, false);
    case Op::kProd: {
      const uint64_t h = Hash(rank, idx);
      int64_t v = 1;
      if (Active(rank, idx, nranks_, MaxPow2(type_)) && (h & 1)) v = 2;
      if (signed_ && ((h >> 1) & 1)) v = -v;
      return v;
    }
    case Op::kMin:
    case Op::kMax: return Ranged(Hash(rank, idx), std::min(kMaxMagnitude, limit), signed_);
    case Op::kAvg:
      // Floats: positive values, so the expected average is never 0 and an unwritten output
      // (the fill pattern is a tiny or negative number) stays outside the tolerance.
      if (IsFloat(type_)) return SumValue(rank, idx, limit, true);
      return nranks_ * SumValue(rank, idx, limit / nranks_, false);
  }
  return 0;
}

Expected Pattern::Reduced(uint64_t idx) const {
  Expected e;
  switch (op_) {
    case Op::kSum:
      for (int r = 0; r < nranks_; ++r) e.exact += Input(r, idx);
      break;
    case Op::kProd:
      e.exact = 1;
      for (int r = 0; r < nranks_; ++r) e.exact *= Input(r, idx);
      break;
    case Op::kMin:
      e.exact = Input(0, idx);
      for (int r = 1; r < nranks_; ++r) e.exact = std::min(e.exact, Input(r, idx));
      break;
    case Op::kMax:
      e.exact = Input(0, idx);
      for (int r = 1; r < nranks_; ++r) e.exact = std::max(e.exact, Input(r, idx));
      break;
    case Op::kAvg: {
      int64_t sum = 0;
      for (int r = 0; r < nranks_; ++r) sum += Input(r, idx);
      if (IsFloat(type_)) {
        e.approximate = true;
        e.value = static_cast<double>(sum) / nranks_;
        const double eps = Epsilon(type_);
        e.tolerance = eps * (nranks_ + 1) * std::fabs(e.value);
      } else {
        e.exact = sum / nranks_;  // inputs are multiples of nranks: exact
      }
      break;
    }
  }
  return e;
}

}  // namespace chorus::bench
