// Both ways of pushing large messages that the FIFO writer picks on its own, forced: streaming
// stores (CHORUS_SHM_PUSH=streamed: the receiver's core far) and copies paired with the engine's
// receives (paired: near). Each carries every collective and a grouped exchange intact: the
// tuner's choice against the serial reference, as processes and as threads, with slots small
// enough that a message spans many (4160 bytes: above the streaming threshold, not a power of
// two) and buffers misaligned, in place and out of place.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "chorus/chorus.h"
#include "support/collective_case.h"
#include "support/test_support.h"

namespace chorus::testing {
namespace {

// "paired_refs": paired copies with single copy on from 100000 bytes, so that the large float
// cases travel by reference (where the receiver can read the sender) and the int8 ones are paired.
class PushStores : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    const std::string mode = GetParam();
    setenv("CHORUS_SHM_PUSH", mode == "paired_refs" ? "paired" : mode.c_str(), 1);
    if (mode == "paired_refs") setenv("CHORUS_SHM_SINGLE_COPY_BYTES", "100000", 1);
    setenv("CHORUS_SHM_SLOT_BYTES", "4160", 1);
  }
  void TearDown() override {
    unsetenv("CHORUS_SHM_PUSH");
    unsetenv("CHORUS_SHM_SINGLE_COPY_BYTES");
    unsetenv("CHORUS_SHM_SLOT_BYTES");
  }
};

std::vector<Case> Cases(int nranks) {
  std::vector<Case> out;
  uint64_t seed = 70;
  for (Collective coll : {Collective::kAllReduce, Collective::kAllGather, Collective::kReduceScatter,
                          Collective::kAllToAll, Collective::kBroadcast, Collective::kReduce}) {
    const bool reduces = Reduces(coll);
    out.push_back({coll, DataType::kFloat32, ReduceOp::kSum, 200003, false, nranks - 1, 3, seed++});
    out.push_back({coll, DataType::kInt8, reduces ? ReduceOp::kMax : ReduceOp::kSum, 70001, true, 0, 1, seed++});
  }
  return out;
}

std::string RunAll(int rank, int n, const chorusUniqueId& id) {
  chorusComm_t comm = nullptr;
  if (chorusCommInitRank(&comm, n, id, rank, nullptr) != chorusSuccess) return std::string("init: ") + chorusGetLastError(nullptr);
  std::string failure;
  for (const Case& c : Cases(n)) {
    failure = RunCase(comm, rank, n, c);
    if (!failure.empty()) break;
  }
  // A ring exchange of an odd length from misaligned buffers, out of place and in place (one
  // buffer sent right and overwritten from the left, piece by piece as the send moves on: the
  // engine's piecewise rule, with pieces paired or streamed).
  if (failure.empty()) failure = RingExchange(comm, rank, n, 75001, false, 1);
  if (failure.empty()) failure = RingExchange(comm, rank, n, 75001, true, 3);
  chorusCommDestroy(comm);
  return failure;
}

TEST_P(PushStores, CollectivesAndExchangeMatchTheReference) {
  for (auto [n, mode] : {std::pair{3, RankMode::kProcesses}, std::pair{2, RankMode::kThreads}}) {
    EXPECT_EQ(RunRanks(n, mode, RunAll), "") << n << " ranks";
  }
}

INSTANTIATE_TEST_SUITE_P(Forced, PushStores, ::testing::Values("streamed", "paired", "paired_refs"),
                         [](const ::testing::TestParamInfo<const char*>& info) { return std::string(info.param); });

}  // namespace
}  // namespace chorus::testing
