#include "chorus-bench/cases.h"

namespace chorus::bench {

std::vector<Case> MakeCases(Coll coll, const std::vector<DType>& dtypes, const std::vector<Op>& ops,
                            int root, const std::vector<std::size_t>& sizes, int nranks) {
  std::vector<Case> out;
  const std::vector<Op> op_list = Reduces(coll) ? ops : std::vector<Op>{Op::kSum};
  for (DType t : dtypes) {
    for (Op op : op_list) {
      for (std::size_t bytes : sizes) {
        Case c;
        c.index = static_cast<int>(out.size());
        c.coll = coll;
        c.dtype = t;
        c.op = op;
        c.root = Rooted(coll) ? root : -1;
        c.requested_bytes = bytes;
        c.shape = ShapeFor(coll, bytes, SizeOf(t), nranks);
        out.push_back(c);
      }
    }
  }
  return out;
}

const char* OpColumn(const Case& c) { return Reduces(c.coll) ? Name(c.op) : "none"; }

int RootColumn(const Case& c) { return Rooted(c.coll) ? c.root : -1; }

std::string Describe(const Case& c) {
  std::string s = std::string(Name(c.coll)) + " " + Name(c.dtype);
  if (Reduces(c.coll)) s += std::string(" ") + Name(c.op);
  if (Rooted(c.coll)) s += " root " + std::to_string(c.root);
  s += " " + HumanBytes(static_cast<double>(c.shape.bytes));
  return s;
}

}  // namespace chorus::bench
