// chorus-bench's result check: buffers filled for every collective, placement, type and op, run
// through a local reference of the collective, count zero wrong elements; a flipped element, an
// output left unwritten, or a block from the wrong rank are counted.
#if __has_include("chorus-bench/check.h")
#include "chorus-bench/check.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "chorus-bench/numeric.h"

namespace chorus::bench {
namespace {

struct World {
  Case c;
  int n;
  std::vector<std::unique_ptr<CaseBuffers>> ranks;
  World(const Case& kase, int nranks) : c(kase), n(nranks) {
    for (int r = 0; r < n; ++r) ranks.push_back(std::make_unique<CaseBuffers>(c, r));
  }
  void Fill(const Pattern& p, bool ip) {
    for (auto& b : ranks) b->Fill(p, n, ip);
  }
  int64_t Wrong(const Pattern& p, bool ip) const {
    int64_t w = 0;
    for (const auto& b : ranks) w += b->CountWrong(p, n, ip);
    return w;
  }
};

double In(const World& w, int r, bool ip, std::size_t i) {
  return LoadAsDouble(w.c.dtype, w.ranks[static_cast<std::size_t>(r)]->Call(ip).send, i);
}

double ReduceAt(const World& w, bool ip, std::size_t i) {
  double acc = In(w, 0, ip, i);
  for (int r = 1; r < w.n; ++r) {
    const double v = In(w, r, ip, i);
    switch (w.c.op) {
      case Op::kSum:
      case Op::kAvg: acc += v; break;
      case Op::kProd: acc *= v; break;
      case Op::kMin: acc = std::min(acc, v); break;
      case Op::kMax: acc = std::max(acc, v); break;
    }
  }
  if (w.c.op == Op::kAvg) acc = IsFloat(w.c.dtype) ? acc / w.n : static_cast<double>(static_cast<int64_t>(acc) / w.n);
  return acc;
}

// A serial reference of the collective, reading every rank's input and writing every output.
void Simulate(World& w, bool ip) {
  const std::size_t c = w.c.shape.count;
  std::vector<std::vector<double>> out(static_cast<std::size_t>(w.n));
  for (int r = 0; r < w.n; ++r) {
    auto& o = out[static_cast<std::size_t>(r)];
    const std::size_t m = w.ranks[static_cast<std::size_t>(r)]->output_elems(w.n);
    for (std::size_t k = 0; k < m; ++k) {
      switch (w.c.coll) {
        case Coll::kAllReduce:
        case Coll::kReduce: o.push_back(ReduceAt(w, ip, k)); break;
        case Coll::kReduceScatter: o.push_back(ReduceAt(w, ip, static_cast<std::size_t>(r) * c + k)); break;
        case Coll::kAllGather: o.push_back(In(w, static_cast<int>(k / c), ip, k % c)); break;
        case Coll::kAllToAll: o.push_back(In(w, static_cast<int>(k / c), ip, static_cast<std::size_t>(r) * c + k % c)); break;
        case Coll::kBroadcast: o.push_back(In(w, w.c.root, ip, k)); break;
        case Coll::kSendRecv: o.push_back(In(w, (r - 1 + w.n) % w.n, ip, k)); break;
      }
    }
  }
  for (int r = 0; r < w.n; ++r) {
    void* recv = w.ranks[static_cast<std::size_t>(r)]->Call(ip).recv;
    const auto& o = out[static_cast<std::size_t>(r)];
    for (std::size_t k = 0; k < o.size(); ++k) StoreDouble(w.c.dtype, recv, k, o[k]);
  }
}

Case MakeCase(Coll coll, DType t, Op op, std::size_t bytes, int n, int root = 0) {
  return MakeCases(coll, {t}, {op}, Rooted(coll) ? root : 0, {bytes}, n).front();
}

TEST(BenchCheck, ReferenceCollectivesCheckClean) {
  const std::vector<DType> types = {DType::kInt8, DType::kUint8, DType::kInt64, DType::kFloat16,
                                    DType::kBfloat16, DType::kFloat32, DType::kF8e4m3, DType::kF8e5m2};
  for (Coll coll : AllColls()) {
    for (DType t : types) {
      for (Op op : Reduces(coll) ? AllOps() : std::vector<Op>{Op::kSum}) {
        for (int n : {1, 2, 3, 4}) {
          for (bool ip : {false, true}) {
            const Case c = MakeCase(coll, t, op, 1000, n, n - 1);
            World w(c, n);
            const Pattern p(t, op, Reduces(coll), n);
            w.Fill(p, ip);
            Simulate(w, ip);
            ASSERT_EQ(w.Wrong(p, ip), 0) << Describe(c) << " n=" << n << (ip ? " in place" : " out of place");
            // One flipped element on rank `root` (which has an output for every collective).
            w.ranks[static_cast<std::size_t>(c.root < 0 ? 0 : c.root)]->Corrupt(ip);
            ASSERT_EQ(w.Wrong(p, ip), 1) << Describe(c) << " n=" << n << (ip ? " in place" : " out of place");
          }
        }
      }
    }
  }
}

TEST(BenchCheck, UnwrittenOutputIsWrong) {
  for (Coll coll : AllColls()) {
    for (DType t : {DType::kUint8, DType::kInt32, DType::kFloat16, DType::kF8e4m3, DType::kFloat64}) {
      for (Op op : Reduces(coll) ? AllOps() : std::vector<Op>{Op::kSum}) {
        const int n = 3;
        const Case c = MakeCase(coll, t, op, 960, n);
        World w(c, n);
        const Pattern p(t, op, Reduces(coll), n);
        w.Fill(p, false);  // out of place: outputs hold the sentinel and nobody writes them
        int64_t outputs = 0;
        for (const auto& b : w.ranks) outputs += static_cast<int64_t>(b->output_elems(n));
        EXPECT_EQ(w.Wrong(p, false), outputs) << Describe(c);
      }
    }
  }
}

TEST(BenchCheck, SwappedRanksAreWrong) {
  // An all-gather that puts the blocks in the wrong order.
  const int n = 4;
  const Case c = MakeCase(Coll::kAllGather, DType::kInt32, Op::kSum, 4096, n);
  World w(c, n);
  const Pattern p(c.dtype, c.op, false, n);
  w.Fill(p, false);
  Simulate(w, false);
  ASSERT_EQ(w.Wrong(p, false), 0);
  auto* recv = static_cast<int32_t*>(w.ranks[2]->Call(false).recv);
  std::swap_ranges(recv, recv + c.shape.count, recv + c.shape.count);  // blocks 0 and 1
  EXPECT_GT(w.Wrong(p, false), static_cast<int64_t>(c.shape.count));
}

TEST(BenchCheck, InPlacePointers) {
  const int n = 4;
  const Case ag = MakeCase(Coll::kAllGather, DType::kFloat32, Op::kSum, 4096, n);
  CaseBuffers b(ag, 2);
  EXPECT_EQ(b.Call(true).send, static_cast<char*>(b.Call(true).recv) + 2 * ag.shape.count * 4);
  const Case rs = MakeCase(Coll::kReduceScatter, DType::kFloat32, Op::kSum, 4096, n);
  CaseBuffers r(rs, 3);
  EXPECT_EQ(r.Call(true).recv, static_cast<char*>(r.Call(true).send) + 3 * rs.shape.count * 4);
  const Case ar = MakeCase(Coll::kAllReduce, DType::kFloat32, Op::kSum, 4096, n);
  CaseBuffers a(ar, 1);
  EXPECT_EQ(a.Call(true).send, a.Call(true).recv);
  EXPECT_NE(a.Call(false).send, a.Call(false).recv);
}

TEST(BenchCheck, ZeroCountCases) {
  const Case c = MakeCase(Coll::kAllGather, DType::kFloat64, Op::kSum, 8, 4);  // 0 elements per rank
  ASSERT_EQ(c.shape.count, 0u);
  World w(c, 4);
  const Pattern p(c.dtype, c.op, false, 4);
  w.Fill(p, false);
  EXPECT_EQ(w.Wrong(p, false), 0);
  w.ranks[0]->Corrupt(false);  // nothing to corrupt
  EXPECT_EQ(w.Wrong(p, false), 0);
}

}  // namespace
}  // namespace chorus::bench
#else
#include <gtest/gtest.h>
TEST(BenchCheck, NotBuilt) { GTEST_SKIP() << "chorus-bench is not built (CLI11 or nlohmann-json missing)"; }
#endif
