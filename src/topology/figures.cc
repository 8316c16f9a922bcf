#include "topology/figures.h"

namespace chorus::topo::fig {

double PcieLaneGbps(int gen) {
  // x16 figures divided by 16; chosen so that x16 and x8 come out as round numbers.
  constexpr double kX16[] = {0, 4, 8, 15.75, 31.5, 63, 121, 242};
  if (gen < 1 || gen > 7) return 0;
  return kX16[gen] / 16;
}

double NvlinkLinkGbps(int version) {
  if (version <= 0) return 25;
  if (version == 1) return 20;
  if (version <= 4) return 25;
  return 50;
}

ReduceCaps NvlsReduceCaps() {
  ReduceCaps c;
  for (DataType t : {DataType::kInt32, DataType::kUint32, DataType::kInt64, DataType::kUint64,
                     DataType::kFloat16, DataType::kBfloat16}) {
    c.Add(ReduceOp::kSum, t);
    c.Add(ReduceOp::kMin, t);
    c.Add(ReduceOp::kMax, t);
  }
  c.Add(ReduceOp::kSum, DataType::kFloat32);
  c.Add(ReduceOp::kSum, DataType::kFloat64);
  return c;
}

}  // namespace chorus::topo::fig
