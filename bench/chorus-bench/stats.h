// Turning per-rank timings into the table's figures.
#pragma once

#include <cstddef>
#include <vector>

#include "chorus-bench/vocab.h"

namespace chorus::bench {

// nccl-tests' -a: how the ranks' times become one time.
enum class Average { kRank0 = 0, kMean = 1, kMin = 2, kMax = 3 };
bool ValidAverage(int a);

// per_rank[r] is rank r's time. Empty input gives 0.
double CombineTimes(const std::vector<double>& per_rank, Average how);

struct Bandwidth {
  double algbw = 0.0;  // GB/s (1e9 bytes per second): bytes / time
  double busbw = 0.0;  // algbw * BusBwFactor
};
Bandwidth ComputeBandwidth(Coll c, std::size_t bytes, double time_us, int nranks);

// Geometric mean of positive values (ratios); 0 when there are none.
double GeoMean(const std::vector<double>& values);

}  // namespace chorus::bench
