// Streaming stores on for every call (CHORUS_NT_STORE_BYTES=1): every collective with every
// algorithm that applies, forced, against the serial reference, as processes and as threads.
// Sizes cross the engine's 1 MiB local-copy grain and no vector width divides them; buffers are
// misaligned, in place and out of place, and avg's epilogue is included.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <tuple>
#include <vector>

#include "algorithms/registry.h"
#include "chorus/chorus.h"
#include "support/collective_case.h"
#include "support/test_support.h"

namespace chorus::testing {
namespace {

using Param = std::tuple<Collective, std::string>;

class StreamingStores : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override { setenv("CHORUS_NT_STORE_BYTES", "1", 1); }
  void TearDown() override {
    unsetenv("CHORUS_NT_STORE_BYTES");
    unsetenv("CHORUS_ALGO");
  }
};

std::vector<Case> Cases(Collective coll, int nranks) {
  const bool reduces = Reduces(coll);
  return {
      {coll, DataType::kFloat32, ReduceOp::kSum, 300007, false, nranks - 1, 3, 31},
      {coll, DataType::kFloat32, reduces ? ReduceOp::kAvg : ReduceOp::kSum, 300007, true, 0, 0, 32},
      {coll, DataType::kInt8, reduces ? ReduceOp::kMax : ReduceOp::kSum, (size_t{1} << 20) + 5, false, 1, 1, 33},
      {coll, DataType::kBfloat16, ReduceOp::kSum, 777, false, 0, 2, 34},
  };
}

std::string InitRunDestroy(int rank, int n, const chorusUniqueId& id, const std::vector<Case>& cases) {
  chorusComm_t comm = nullptr;
  if (chorusCommInitRank(&comm, n, id, rank, nullptr) != chorusSuccess) {
    return std::string("init: ") + chorusGetLastError(nullptr);
  }
  std::string failure;
  for (const Case& c : cases) {
    failure = RunCase(comm, rank, n, c);
    if (!failure.empty()) break;
  }
  chorusCommDestroy(comm);
  return failure;
}

TEST_P(StreamingStores, MatchesSerialReference) {
  auto [coll, algo] = GetParam();
  const std::string force = std::string(Name(coll)) + "=" + algo;
  setenv("CHORUS_ALGO", force.c_str(), 1);
  for (auto [n, mode] : {std::pair{3, RankMode::kProcesses}, std::pair{2, RankMode::kThreads}}) {
    sched::CollArgs args;
    args.coll = coll;
    args.nranks = n;
    args.count = 300007;
    if (!sched::FindAlgorithm(algo)->applies(args)) continue;
    const std::vector<Case> cases = Cases(coll, n);
    std::string err = RunRanks(n, mode, [&](int rank, int nr, const chorusUniqueId& id) {
      return InitRunDestroy(rank, nr, id, cases);
    });
    EXPECT_EQ(err, "") << force << " on " << n << " ranks";
  }
}

std::vector<Param> Params() {
  std::vector<Param> out;
  for (Collective coll : {Collective::kAllReduce, Collective::kAllGather, Collective::kReduceScatter,
                          Collective::kAllToAll, Collective::kBroadcast, Collective::kReduce}) {
    sched::CollArgs args;
    args.coll = coll;
    args.nranks = 3;
    args.count = 300007;
    for (const sched::Algorithm* a : sched::ApplicableAlgorithms(args)) out.emplace_back(coll, a->name);
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Every, StreamingStores, ::testing::ValuesIn(Params()),
                         [](const ::testing::TestParamInfo<Param>& info) {
                           return std::string(Name(std::get<0>(info.param))) + "_" + std::get<1>(info.param);
                         });

// Grouped sends and receives with streaming stores: misaligned receive buffers, an in-place
// exchange (its send goes from a streamed snapshot) and an odd length.
std::string ExchangeStreamed(int rank, int n, const chorusUniqueId& id) {
  chorusComm_t comm = nullptr;
  if (chorusCommInitRank(&comm, n, id, rank, nullptr) != chorusSuccess) return std::string("init: ") + chorusGetLastError(nullptr);
  const int right = (rank + 1) % n, left = (rank + n - 1) % n;
  const size_t count = (size_t{1} << 20) + 3;
  auto value = [](int from, size_t i) { return static_cast<int8_t>(from * 31 + i * 7 + (i >> 11)); };
  std::vector<int8_t> send(count + 1), recv(count + 1, 0), both(count + 1);
  for (size_t i = 0; i < count; ++i) send[i + 1] = both[i + 1] = value(rank, i);
  std::string e;
  chorusGroupStart();
  chorusRecv(recv.data() + 1, count, chorusInt8, left, comm, nullptr);
  chorusSend(send.data() + 1, count, chorusInt8, right, comm, nullptr);
  chorusSend(both.data() + 1, count, chorusInt8, left, comm, nullptr);
  chorusRecv(both.data() + 1, count, chorusInt8, right, comm, nullptr);
  if (chorusGroupEnd() != chorusSuccess) e = std::string("group: ") + chorusGetLastError(comm);
  for (size_t i = 0; i < count && e.empty(); ++i) {
    if (recv[i + 1] != value(left, i)) e = "out of place wrong at " + std::to_string(i);
    if (both[i + 1] != value(right, i)) e = "in place wrong at " + std::to_string(i);
  }
  chorusCommDestroy(comm);
  return e;
}

TEST_F(StreamingStores, GroupedSendRecv) {
  for (auto [n, mode] : {std::pair{3, RankMode::kProcesses}, std::pair{2, RankMode::kThreads}}) {
    EXPECT_EQ(RunRanks(n, mode, ExchangeStreamed), "") << n << " ranks";
  }
}

}  // namespace
}  // namespace chorus::testing
