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
  // A ring exchange of an odd length from a misaligned buffer.
  const int right = (rank + 1) % n, left = (rank + n - 1) % n;
  const size_t count = 300001;
  auto value = [](int from, size_t i) { return static_cast<int8_t>(from * 29 + i * 5 + (i >> 9)); };
  std::vector<int8_t> send(count + 1), recv(count + 1, 0);
  for (size_t i = 0; i < count; ++i) send[i + 1] = value(rank, i);
  if (failure.empty()) {
    chorusGroupStart();
    chorusSend(send.data() + 1, count, chorusInt8, right, comm, nullptr);
    chorusRecv(recv.data() + 1, count, chorusInt8, left, comm, nullptr);
    if (chorusGroupEnd() != chorusSuccess) failure = std::string("group: ") + chorusGetLastError(comm);
  }
  for (size_t i = 0; i < count && failure.empty(); ++i) {
    if (recv[i + 1] != value(left, i)) failure = "exchange wrong at " + std::to_string(i);
  }
  // In place: one buffer sent right and overwritten from the left, piece by piece as the send
  // moves on (the engine's piecewise rule, with pieces paired or streamed).
  std::vector<int8_t> both(count + 1);
  for (size_t i = 0; i < count; ++i) both[i + 1] = value(rank, i);
  if (failure.empty()) {
    chorusGroupStart();
    chorusSend(both.data() + 1, count, chorusInt8, right, comm, nullptr);
    chorusRecv(both.data() + 1, count, chorusInt8, left, comm, nullptr);
    if (chorusGroupEnd() != chorusSuccess) failure = std::string("in-place group: ") + chorusGetLastError(comm);
  }
  for (size_t i = 0; i < count && failure.empty(); ++i) {
    if (both[i + 1] != value(left, i)) failure = "in-place exchange wrong at " + std::to_string(i);
  }
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
