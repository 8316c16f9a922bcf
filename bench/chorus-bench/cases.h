// The list of measurements a run makes: every (data type, op, size), in nccl-tests' order (types
// outermost, sizes innermost). Every rank and the coordinator build the same list from the same
// options, so a case is named by its index alone.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "chorus-bench/sizes.h"
#include "chorus-bench/vocab.h"

namespace chorus::bench {

struct Case {
  int index = 0;
  Coll coll = Coll::kAllReduce;
  DType dtype = DType::kFloat32;
  Op op = Op::kSum;  // meaningful only when Reduces(coll)
  int root = 0;      // meaningful only when Rooted(coll)
  std::size_t requested_bytes = 0;
  Shape shape;
};

// Collectives that do not reduce get one op entry whatever `ops` holds.
std::vector<Case> MakeCases(Coll coll, const std::vector<DType>& dtypes, const std::vector<Op>& ops,
                            int root, const std::vector<std::size_t>& sizes, int nranks);

// The redop and root columns as nccl-tests prints them ("none" and -1 when not applicable).
const char* OpColumn(const Case& c);
int RootColumn(const Case& c);
// "allreduce float sum 1M" (for progress lines and messages).
std::string Describe(const Case& c);

}  // namespace chorus::bench
