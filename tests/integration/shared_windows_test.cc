// Buffers from chorusMemAlloc (shared windows): the API's errors, every collective and grouped
// send/recv against the serial reference as processes and as threads, and many calls on fresh
// windows without mappings piling up.
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>
#include <string>
#include <tuple>
#include <vector>

#include "chorus/chorus.h"
#include "support/collective_case.h"
#include "support/test_support.h"

namespace chorus::testing {
namespace {

TEST(SharedWindowsApi, ErrorsAreClear) {
  EXPECT_EQ(chorusMemAlloc(nullptr, 64), chorusInvalidArgument);
  void* p = reinterpret_cast<void*>(1);
  EXPECT_EQ(chorusMemAlloc(&p, 0), chorusInvalidArgument);
  EXPECT_EQ(p, nullptr);
  EXPECT_NE(std::string(chorusGetLastError(nullptr)).find("size"), std::string::npos);
  EXPECT_EQ(chorusMemFree(nullptr), chorusSuccess);
  int on_stack = 0;
  EXPECT_EQ(chorusMemFree(&on_stack), chorusInvalidArgument);
  EXPECT_NE(std::string(chorusGetLastError(nullptr)).find("chorusMemAlloc"), std::string::npos);
  ASSERT_EQ(chorusMemAlloc(&p, 12345), chorusSuccess);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 4096, 0u);
  EXPECT_EQ(chorusMemFree(p), chorusSuccess);
  EXPECT_EQ(chorusMemFree(p), chorusInvalidArgument);
}

std::string InitRunDestroy(int rank, int n, const chorusUniqueId& id, const std::vector<Case>& cases, int repeat = 1) {
  chorusComm_t comm = nullptr;
  if (chorusCommInitRank(&comm, n, id, rank, nullptr) != chorusSuccess) {
    return std::string("init: ") + chorusGetLastError(nullptr);
  }
  std::string failure;
  for (int i = 0; i < repeat && failure.empty(); ++i) {
    for (const Case& c : cases) {
      failure = RunCase(comm, rank, n, c);
      if (!failure.empty()) {
        failure += " [shared window]";
        break;
      }
    }
  }
  chorusCommDestroy(comm);
  return failure;
}

// Sizes across the 64 KiB window threshold and the engine's grains, misaligned, in and out of
// place; every buffer from chorusMemAlloc.
std::vector<Case> Cases(Collective coll, int nranks) {
  const bool reduces = Reduces(coll);
  std::vector<Case> cases = {
      {coll, DataType::kFloat32, ReduceOp::kSum, 300007, false, nranks - 1, 0, 41, true},
      {coll, DataType::kFloat32, ReduceOp::kSum, 300007, true, 0, 1, 42, true},
      {coll, DataType::kInt8, reduces ? ReduceOp::kMin : ReduceOp::kSum, (size_t{1} << 20) + 5, false, 1 % nranks, 3, 43, true},
      {coll, DataType::kBfloat16, ReduceOp::kSum, 100003, true, 0, 0, 44, true},
      {coll, DataType::kFloat32, ReduceOp::kSum, 333, false, 0, 0, 45, true},  // below the threshold
  };
  return cases;
}

using Param = std::tuple<Collective, int, RankMode>;
class SharedWindows : public ::testing::TestWithParam<Param> {};

TEST_P(SharedWindows, MatchesSerialReference) {
  auto [coll, nranks, mode] = GetParam();
  const std::vector<Case> cases = Cases(coll, nranks);
  EXPECT_EQ(RunRanks(nranks, mode, [&](int rank, int n, const chorusUniqueId& id) { return InitRunDestroy(rank, n, id, cases); }), "");
}

std::vector<Param> Params() {
  std::vector<Param> out;
  for (Collective coll : {Collective::kAllReduce, Collective::kAllGather, Collective::kReduceScatter,
                          Collective::kAllToAll, Collective::kBroadcast, Collective::kReduce}) {
    out.emplace_back(coll, 3, RankMode::kProcesses);
    out.emplace_back(coll, 2, RankMode::kThreads);
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Every, SharedWindows, ::testing::ValuesIn(Params()),
                         [](const ::testing::TestParamInfo<Param>& info) {
                           return std::string(Name(std::get<0>(info.param))) + "_" + std::to_string(std::get<1>(info.param)) +
                                  "ranks_" + (std::get<2>(info.param) == RankMode::kProcesses ? "processes" : "threads");
                         });

// Peers' windows mapped here (read-only; this process's own windows are mapped read-write).
size_t WindowMappings() {
  std::ifstream maps("/proc/self/maps");
  size_t n = 0;
  for (std::string line; std::getline(maps, line);) {
    n += line.find("chorus-window") != std::string::npos && line.find(" r--s ") != std::string::npos ? 1 : 0;
  }
  return n;
}

// 80 calls, each on windows allocated for it and freed after it: receivers drop the mappings of
// freed windows, so a rank ends with a handful, not hundreds.
TEST(SharedWindowsLifetime, FreshWindowsPerCallDoNotPileUp) {
  const std::vector<Case> cases = {{Collective::kAllToAll, DataType::kFloat32, ReduceOp::kSum, 70001, false, 0, 0, 46, true}};
  std::string err = RunRanks(3, RankMode::kProcesses, [&](int rank, int n, const chorusUniqueId& id) {
    chorusComm_t comm = nullptr;
    if (chorusCommInitRank(&comm, n, id, rank, nullptr) != chorusSuccess) return std::string("init failed");
    std::string failure;
    for (int i = 0; i < 80 && failure.empty(); ++i) failure = RunCase(comm, rank, n, cases[0]);
    const size_t mapped = WindowMappings();
    chorusCommDestroy(comm);
    if (failure.empty() && mapped > 12) failure = "rank " + std::to_string(rank) + " holds " + std::to_string(mapped) + " window mappings";
    return failure;
  });
  EXPECT_EQ(err, "");
}

// Grouped send/recv from and into windows: every rank sends every rank (itself too) a message
// whose size depends on the pair.
TEST(SharedWindowsSendRecv, GroupedExchangeWithEveryRank) {
  for (RankMode mode : {RankMode::kProcesses, RankMode::kThreads}) {
    std::string err = RunRanks(3, mode, [&](int rank, int n, const chorusUniqueId& id) -> std::string {
      chorusComm_t comm = nullptr;
      if (chorusCommInitRank(&comm, n, id, rank, nullptr) != chorusSuccess) return chorusGetLastError(nullptr);
      auto count = [](int src, int dst) { return size_t{50000} + static_cast<size_t>(src * 7001 + dst * 13); };
      std::vector<int32_t*> send(n), recv(n);
      std::string e;
      for (int p = 0; p < n && e.empty(); ++p) {
        void* s = nullptr;
        void* r = nullptr;
        if (chorusMemAlloc(&s, count(rank, p) * 4) != chorusSuccess || chorusMemAlloc(&r, count(p, rank) * 4) != chorusSuccess) {
          e = "chorusMemAlloc failed";
        }
        send[p] = static_cast<int32_t*>(s);
        recv[p] = static_cast<int32_t*>(r);
        if (e.empty()) {
          for (size_t i = 0; i < count(rank, p); ++i) send[p][i] = static_cast<int32_t>(rank * 1000003 + p * 101 + i);
        }
      }
      if (e.empty()) {
        chorusGroupStart();
        for (int p = 0; p < n; ++p) chorusRecv(recv[p], count(p, rank), chorusInt32, p, comm, nullptr);
        for (int p = 0; p < n; ++p) chorusSend(send[p], count(rank, p), chorusInt32, p, comm, nullptr);
        if (chorusGroupEnd() != chorusSuccess) e = std::string("group: ") + chorusGetLastError(comm);
      }
      for (int p = 0; p < n && e.empty(); ++p) {
        for (size_t i = 0; i < count(p, rank); ++i) {
          if (recv[p][i] != static_cast<int32_t>(p * 1000003 + rank * 101 + i)) {
            e = "rank " + std::to_string(rank) + ": element " + std::to_string(i) + " from rank " + std::to_string(p) + " wrong";
            break;
          }
        }
      }
      for (int p = 0; p < n; ++p) {
        chorusMemFree(send[p]);
        chorusMemFree(recv[p]);
      }
      chorusCommDestroy(comm);
      return e;
    });
    EXPECT_EQ(err, "") << (mode == RankMode::kProcesses ? "processes" : "threads");
  }
}

// A peer's windows are mapped while they live, and unmapped at a call after they are freed
// (at most 100 ms later), not only at destroy: the communicator goes on with heap buffers here.
TEST(SharedWindowsLifetime, PeersWindowsAreMappedThenUnmappedOnceFreed) {
  std::string err = RunRanks(2, RankMode::kProcesses, [&](int rank, int n, const chorusUniqueId& id) {
    chorusComm_t comm = nullptr;
    if (chorusCommInitRank(&comm, n, id, rank, nullptr) != chorusSuccess) return std::string("init failed");
    const size_t count = 100003;
    void* send = nullptr;
    void* recv = nullptr;
    std::string failure;
    if (chorusMemAlloc(&send, count * 4) != chorusSuccess || chorusMemAlloc(&recv, count * 4 * n) != chorusSuccess) {
      failure = "chorusMemAlloc failed";
    }
    if (failure.empty() && (chorusAllGather(send, recv, count, chorusFloat32, comm, nullptr) != chorusSuccess ||
                            chorusBarrier(comm, nullptr) != chorusSuccess)) {
      failure = std::string("all-gather: ") + chorusGetLastError(comm);
    }
    const size_t live = WindowMappings();  // the peer frees its windows only after the next barrier
    if (failure.empty() && chorusBarrier(comm, nullptr) != chorusSuccess) failure = "barrier failed";
    chorusMemFree(send);
    chorusMemFree(recv);
    Case heap{Collective::kAllGather, DataType::kFloat32, ReduceOp::kSum, count, false, 0, 0, 47};
    for (int i = 0; i < 3 && failure.empty(); ++i) {
      usleep(60 * 1000);
      failure = RunCase(comm, rank, n, heap);
    }
    const size_t after = WindowMappings();
    chorusCommDestroy(comm);
    if (failure.empty() && live == 0) failure = "rank " + std::to_string(rank) + " never mapped its peer's windows";
    if (failure.empty() && after != 0) failure = std::to_string(after) + " freed windows still mapped";
    return failure;
  });
  EXPECT_EQ(err, "");
}

}  // namespace
}  // namespace chorus::testing
