#include "chorus-bench/stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "chorus-bench/sizes.h"

namespace chorus::bench {

bool ValidAverage(int a) { return a >= 0 && a <= 3; }

double CombineTimes(const std::vector<double>& per_rank, Average how) {
  if (per_rank.empty()) return 0.0;
  switch (how) {
    case Average::kRank0: return per_rank[0];
    case Average::kMean:
      return std::accumulate(per_rank.begin(), per_rank.end(), 0.0) / static_cast<double>(per_rank.size());
    case Average::kMin: return *std::min_element(per_rank.begin(), per_rank.end());
    case Average::kMax: return *std::max_element(per_rank.begin(), per_rank.end());
  }
  return per_rank[0];
}

Bandwidth ComputeBandwidth(Coll c, std::size_t bytes, double time_us, int nranks) {
  Bandwidth b;
  if (time_us <= 0.0) return b;
  b.algbw = static_cast<double>(bytes) / (time_us * 1e-6) / 1e9;
  b.busbw = b.algbw * BusBwFactor(c, nranks);
  return b;
}

double GeoMean(const std::vector<double>& values) {
  double log_sum = 0.0;
  int n = 0;
  for (double v : values) {
    if (v > 0.0 && std::isfinite(v)) {
      log_sum += std::log(v);
      ++n;
    }
  }
  return n == 0 ? 0.0 : std::exp(log_sum / n);
}

}  // namespace chorus::bench
