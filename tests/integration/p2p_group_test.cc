// Send/recv and group calls: rings of sends and receives issued together must not deadlock,
// groups of collectives, several ranks driven from one thread (chorusCommInitAll), barrier.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>

#include <numeric>
#include <string>
#include <vector>

#include "chorus/chorus.h"
#include "support/collective_case.h"
#include "support/test_support.h"

namespace chorus::testing {
namespace {

// Out of place, the receive is issued first inside the group: only grouping makes that order
// safe. In place (nccl-tests' in-place sendrecv) the same buffer is sent and received into, at
// sizes larger than the FIFO, so neither side's send can finish before the other receives.
class P2PTest : public ::testing::TestWithParam<std::tuple<int, RankMode>> {};

TEST_P(P2PTest, GroupedRingExchangeAndSelfSend) {
  auto [nranks, mode] = GetParam();
  std::string err = RunRanks(nranks, mode, [&](int rank, int n, const chorusUniqueId& id) -> std::string {
    chorusComm_t comm = nullptr;
    if (chorusCommInitRank(&comm, n, id, rank, nullptr) != chorusSuccess) return chorusGetLastError(nullptr);
    std::string e;
    for (size_t count : {size_t{0}, size_t{1}, size_t{1000}, size_t{3} << 20}) {
      if (e.empty()) e = RingExchange(comm, rank, n, count, false);
      if (e.empty()) e = RingExchange(comm, rank, n, count, true);
    }
    // A send to oneself, grouped with its receive.
    int32_t a = rank + 40, b = 0;
    chorusGroupStart();
    chorusSend(&a, 1, chorusInt32, rank, comm, nullptr);
    chorusRecv(&b, 1, chorusInt32, rank, comm, nullptr);
    if (chorusGroupEnd() != chorusSuccess || b != rank + 40) e += " self send failed";
    // Ungrouped blocking pairs: even ranks send first, odd ranks receive first.
    if (n >= 2 && rank < (n / 2) * 2) {
      int peer = rank ^ 1;
      double v = rank * 2.5, got = -1;
      if (rank % 2 == 0) {
        chorusSend(&v, 1, chorusFloat64, peer, comm, nullptr);
        chorusRecv(&got, 1, chorusFloat64, peer, comm, nullptr);
      } else {
        chorusRecv(&got, 1, chorusFloat64, peer, comm, nullptr);
        chorusSend(&v, 1, chorusFloat64, peer, comm, nullptr);
      }
      if (got != peer * 2.5) e += " pairwise send/recv got " + std::to_string(got);
    }
    if (chorusBarrier(comm, nullptr) != chorusSuccess) e += std::string(" barrier: ") + chorusGetLastError(comm);
    chorusCommDestroy(comm);
    return e;
  });
  EXPECT_EQ(err, "");
}

INSTANTIATE_TEST_SUITE_P(Ranks, P2PTest,
                         ::testing::Combine(::testing::Values(1, 2, 3, 8),
                                            ::testing::Values(RankMode::kProcesses, RankMode::kThreads)));

// Caps this process's address space `headroom` bytes above what it maps now; "" or why not.
std::string CapAddressSpace(rlim_t headroom) {
  long pages = 0;
  if (FILE* f = fopen("/proc/self/statm", "r")) {
    if (fscanf(f, "%ld", &pages) != 1) pages = 0;
    fclose(f);
  }
  if (pages <= 0) return "cannot read /proc/self/statm";
  const rlim_t cap = static_cast<rlim_t>(pages) * static_cast<rlim_t>(sysconf(_SC_PAGESIZE)) + headroom;
  rlimit lim{cap, cap};
  return setrlimit(RLIMIT_AS, &lim) == 0 ? "" : "setrlimit failed";
}

// An in-place exchange whose snapshot cannot be allocated fails with chorusSystemError, before
// anything is sent, and breaks the communicator (its peers may be mid-call): later calls return
// the same error. One rank, in its own process, with its address space capped just above what it
// uses (the 4 GiB buffer is mapped but never touched).
TEST(P2PTest, SnapshotOutOfMemoryIsAnError) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "sanitizers reserve address space: RLIMIT_AS cannot be capped under them";
#endif
  std::string err = RunRanks(1, RankMode::kProcesses, [&](int rank, int n, const chorusUniqueId& id) -> std::string {
    chorusComm_t comm = nullptr;
    if (chorusCommInitRank(&comm, n, id, rank, nullptr) != chorusSuccess) return chorusGetLastError(nullptr);
    const size_t bytes = size_t{4} << 30;
    // The receive lands 64 bytes past the send: overlapping, not the same bytes, so a snapshot.
    char* buf = static_cast<char*>(mmap(nullptr, bytes + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
    if (buf == MAP_FAILED) return "mmap failed";
    if (std::string e = CapAddressSpace(rlim_t{256} << 20); !e.empty()) return e;
    chorusGroupStart();
    chorusSend(buf, bytes, chorusUint8, 0, comm, nullptr);
    chorusRecv(buf + 64, bytes, chorusUint8, 0, comm, nullptr);
    const chorusResult_t r = chorusGroupEnd();
    std::string e;
    if (r != chorusSystemError) e = std::string("expected chorusSystemError, got ") + chorusGetErrorString(r);
    const std::string msg = chorusGetLastError(comm);
    if (e.empty() && msg.find("out of memory") == std::string::npos) e = "message does not say out of memory: " + msg;
    int32_t a = 5, b = 0;
    chorusGroupStart();
    chorusSend(&a, 1, chorusInt32, 0, comm, nullptr);
    chorusRecv(&b, 1, chorusInt32, 0, comm, nullptr);
    if (e.empty() && chorusGroupEnd() != chorusSystemError) e = "a call after the failure did not return it again";
    chorusCommDestroy(comm);
    return e;
  });
  EXPECT_EQ(err, "");
}

// The same bytes sent and received take no snapshot: with the address space capped 16 MiB above
// what the rank uses, an in-place exchange of 64 MiB with itself still runs, and delivers.
TEST(P2PTest, InPlaceExchangeOfTheSameBytesTakesNoSnapshot) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "sanitizers reserve address space: RLIMIT_AS cannot be capped under them";
#endif
  std::string err = RunRanks(1, RankMode::kProcesses, [&](int rank, int n, const chorusUniqueId& id) -> std::string {
    chorusComm_t comm = nullptr;
    if (chorusCommInitRank(&comm, n, id, rank, nullptr) != chorusSuccess) return chorusGetLastError(nullptr);
    const size_t count = size_t{16} << 20;
    std::vector<int32_t> buf(count);
    for (size_t i = 0; i < count; ++i) buf[i] = static_cast<int32_t>(i * 7 + 1);
    if (std::string e = CapAddressSpace(rlim_t{16} << 20); !e.empty()) return e;
    chorusGroupStart();
    chorusSend(buf.data(), count, chorusInt32, 0, comm, nullptr);
    chorusRecv(buf.data(), count, chorusInt32, 0, comm, nullptr);
    std::string e;
    if (chorusGroupEnd() != chorusSuccess) e = std::string("in-place exchange: ") + chorusGetLastError(comm);
    for (size_t i = 0; i < count && e.empty(); ++i) {
      if (buf[i] != static_cast<int32_t>(i * 7 + 1)) e = "wrong at " + std::to_string(i);
    }
    chorusCommDestroy(comm);
    return e;
  });
  EXPECT_EQ(err, "");
}

// Several collectives in one group run in order; results are as if issued one by one.
TEST(GroupTest, BatchOfCollectives) {
  std::string err = RunRanks(3, RankMode::kProcesses, [&](int rank, int n, const chorusUniqueId& id) -> std::string {
    chorusComm_t comm = nullptr;
    if (chorusCommInitRank(&comm, n, id, rank, nullptr) != chorusSuccess) return chorusGetLastError(nullptr);
    std::vector<float> a(100, static_cast<float>(rank)), sum(100);
    std::vector<int64_t> g(3), mine{rank * 7};
    int32_t b = rank == 1 ? 99 : 0;
    chorusGroupStart();
    chorusAllReduce(a.data(), sum.data(), a.size(), chorusFloat32, chorusSum, comm, nullptr);
    chorusGroupStart();  // nested
    chorusAllGather(mine.data(), g.data(), 1, chorusInt64, comm, nullptr);
    chorusGroupEnd();
    chorusBroadcast(&b, &b, 1, chorusInt32, 1, comm, nullptr);
    chorusResult_t r = chorusGroupEnd();
    std::string e;
    if (r != chorusSuccess) e = chorusGetLastError(comm);
    if (sum[99] != 3.0f) e += " allreduce";
    if (g[0] != 0 || g[1] != 7 || g[2] != 14) e += " allgather";
    if (b != 99) e += " broadcast";
    chorusCommDestroy(comm);
    return e;
  });
  EXPECT_EQ(err, "");
}

// chorusCommInitAll: 4 ranks as threads driven from ONE thread through a group, NCCL style.
TEST(GroupTest, InitAllDrivenFromOneThread) {
  const int n = 4;
  chorusComm_t comms[n];
  ASSERT_EQ(chorusCommInitAll(comms, n, nullptr), chorusSuccess) << chorusGetLastError(nullptr);
  std::vector<std::vector<double>> bufs(n, std::vector<double>(4099));
  for (int r = 0; r < n; ++r) std::iota(bufs[r].begin(), bufs[r].end(), r);
  ASSERT_EQ(chorusGroupStart(), chorusSuccess);
  for (int r = 0; r < n; ++r) {
    ASSERT_EQ(chorusAllReduce(bufs[r].data(), bufs[r].data(), bufs[r].size(), chorusFloat64, chorusMax, comms[r], nullptr),
              chorusSuccess);
  }
  ASSERT_EQ(chorusGroupEnd(), chorusSuccess) << chorusGetLastError(nullptr);
  for (int r = 0; r < n; ++r) {
    int rank = -1;
    EXPECT_EQ(chorusCommUserRank(comms[r], &rank), chorusSuccess);
    EXPECT_EQ(rank, r);
    EXPECT_EQ(bufs[r][0], 3.0);
    EXPECT_EQ(bufs[r][4098], 4098.0 + 3);
  }
  for (int r = 0; r < n; ++r) EXPECT_EQ(chorusCommDestroy(comms[r]), chorusSuccess);
}

}  // namespace
}  // namespace chorus::testing
