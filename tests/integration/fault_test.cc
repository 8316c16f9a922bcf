// Failures: a rank killed in the middle of each collective, abort from another thread, timeouts,
// non-blocking init, split and shrink. The survivors must get an error within the timeout + 1 s,
// shrink, and compute a correct all-reduce; nothing may be left in /dev/shm.
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "chorus/chorus.h"
#include "core/types.h"
#include "support/test_support.h"

namespace chorus::testing {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }


chorusResult_t CallCollective(Collective c, chorusComm_t comm, std::vector<float>& in, std::vector<float>& out, size_t count) {
  switch (c) {
    case Collective::kAllReduce: return chorusAllReduce(in.data(), out.data(), count, chorusFloat32, chorusSum, comm, nullptr);
    case Collective::kAllGather: return chorusAllGather(in.data(), out.data(), count / 4, chorusFloat32, comm, nullptr);
    case Collective::kReduceScatter: return chorusReduceScatter(in.data(), out.data(), count / 4, chorusFloat32, chorusSum, comm, nullptr);
    case Collective::kAllToAll: return chorusAllToAll(in.data(), out.data(), count / 4, chorusFloat32, comm, nullptr);
    case Collective::kBroadcast: return chorusBroadcast(in.data(), out.data(), count, chorusFloat32, 0, comm, nullptr);
    case Collective::kReduce: return chorusReduce(in.data(), out.data(), count, chorusFloat32, chorusSum, 0, comm, nullptr);
    default: return chorusInternalError;
  }
}

class KillMidCollective : public ::testing::TestWithParam<Collective> {};

TEST_P(KillMidCollective, SurvivorsFailFastShrinkAndContinue) {
  const Collective coll = GetParam();
  const int nranks = 4, victim = 2;
  const int64_t timeout_ms = 4000;
  std::vector<int> pids;
  std::string err = RunRanks(nranks, RankMode::kProcesses, [&](int rank, int n, const chorusUniqueId& id) -> std::string {
    chorusConfig_t cfg = CHORUS_CONFIG_INITIALIZER;
    cfg.timeoutMs = timeout_ms;
    chorusComm_t comm = nullptr;
    if (chorusCommInitRank(&comm, n, id, rank, &cfg) != chorusSuccess) return chorusGetLastError(nullptr);
    const size_t count = 1 << 20;  // 4 MiB: big enough that the kill lands inside a call
    std::vector<float> in(count, 1.0f), out(count);
    if (rank == victim) {
      std::thread([] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        kill(getpid(), SIGKILL);
      }).detach();
    }
    chorusResult_t r = chorusSuccess;
    auto call_start = Clock::now();
    for (int i = 0; i < 100000 && r == chorusSuccess; ++i) {
      call_start = Clock::now();
      r = CallCollective(coll, comm, in, out, count);
    }
    double waited = SecondsSince(call_start);
    std::string msg = chorusGetLastError(comm);
    if (r != chorusRemoteError && r != chorusTimeout) return std::string("got ") + chorusGetErrorString(r) + ": " + msg;
    if (waited > timeout_ms / 1000.0 + 1.0) return "error took " + std::to_string(waited) + " s: " + msg;
    if (r == chorusRemoteError && (msg.find("rank") == std::string::npos || msg.find("host") == std::string::npos)) {
      return "message does not name the rank and host: " + msg;
    }
    chorusResult_t async = chorusSuccess;
    chorusCommGetAsyncError(comm, &async);
    if (async == chorusSuccess) return "chorusCommGetAsyncError reports success on a broken communicator";
    // The survivors shrink and carry on.
    int excluded[] = {victim};
    chorusComm_t small = nullptr;
    if (chorusCommShrink(comm, excluded, 1, &small, &cfg) != chorusSuccess) {
      return std::string("shrink: ") + chorusGetLastError(comm);
    }
    chorusCommAbort(comm);
    int new_rank = -1, new_size = 0;
    chorusCommUserRank(small, &new_rank);
    chorusCommCount(small, &new_size);
    if (new_size != 3 || new_rank != (rank < victim ? rank : rank - 1)) {
      return "shrunk communicator has rank " + std::to_string(new_rank) + " of " + std::to_string(new_size);
    }
    std::vector<double> v(1000, rank + 1.0), s(1000);
    if (chorusAllReduce(v.data(), s.data(), v.size(), chorusFloat64, chorusSum, small, nullptr) != chorusSuccess) {
      return std::string("all-reduce after shrink: ") + chorusGetLastError(small);
    }
    if (s[999] != 1.0 + 2.0 + 4.0) return "all-reduce after shrink gave " + std::to_string(s[999]);
    chorusCommDestroy(small);
    return "";
  }, 60, &pids);
  EXPECT_EQ(err, "rank 2: killed by signal 9\n");
  EXPECT_EQ(LeakedSegments(pids), "");
}

INSTANTIATE_TEST_SUITE_P(EveryCollective, KillMidCollective,
                         ::testing::Values(Collective::kAllReduce, Collective::kAllGather, Collective::kReduceScatter,
                                           Collective::kAllToAll, Collective::kBroadcast, Collective::kReduce),
                         [](const auto& info) { return std::string(Name(info.param)); });

TEST(Fault, AbortFromAnotherThreadUnblocksACall) {
  std::string err = RunRanks(2, RankMode::kThreads, [&](int rank, int n, const chorusUniqueId& id) -> std::string {
    chorusComm_t comm = nullptr;
    if (chorusCommInitRank(&comm, n, id, rank, nullptr) != chorusSuccess) return chorusGetLastError(nullptr);
    if (rank == 1) {
      // Never joins the all-reduce; leaves once rank 0 is done.
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      chorusCommAbort(comm);
      return "";
    }
    std::atomic<chorusResult_t> result{chorusSuccess};
    std::atomic<bool> returned{false};
    float x = 1, y = 0;
    std::thread caller([&] {
      result = chorusAllReduce(&x, &y, 1, chorusFloat32, chorusSum, comm, nullptr);
      returned = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (returned) { caller.join(); return "all-reduce returned without its peer"; }
    auto t0 = Clock::now();
    chorusCommAbort(comm);  // waits for the blocked call to leave
    double took = SecondsSince(t0);
    caller.join();
    if (result == chorusSuccess) return "aborted call reported success";
    if (took > 1.0) return "abort took " + std::to_string(took) + " s";
    return "";
  });
  EXPECT_EQ(err, "");
}

// A worker thread loops calls on a communicator (so its calls take the lock-free path: the thread's
// last handle), another thread aborts it, and the worker's next call must be refused: the abort's
// epoch reaches the worker's cached liveness. (A call *starting* while another thread destroys the
// handle is a race in the program, as in NCCL; a call already inside is unblocked by the abort:
// AbortFromAnotherThreadUnblocksACall.)
TEST(Fault, CallsAfterAnAbortFromAnotherThreadAreRefused) {
  for (int round = 0; round < 5; ++round) {
    chorusUniqueId id;
    ASSERT_EQ(chorusGetUniqueId(&id), chorusSuccess);
    chorusComm_t comm = nullptr;
    ASSERT_EQ(chorusCommInitRank(&comm, 1, id, 0, nullptr), chorusSuccess);
    std::atomic<int> stage{0};
    chorusResult_t before = chorusInternalError, after = chorusSuccess;
    std::thread worker([&] {
      float x = 1, y = 0;
      for (int i = 0; i < 1000; ++i) before = chorusAllReduce(&x, &y, 1, chorusFloat32, chorusSum, comm, nullptr);
      stage = 1;
      while (stage != 2) std::this_thread::yield();
      after = chorusAllReduce(&x, &y, 1, chorusFloat32, chorusSum, comm, nullptr);
    });
    while (stage != 1) std::this_thread::yield();
    EXPECT_EQ(chorusCommAbort(comm), chorusSuccess);
    stage = 2;
    worker.join();
    EXPECT_EQ(before, chorusSuccess);
    EXPECT_EQ(after, chorusInvalidUsage) << "round " << round;
  }
}

TEST(Fault, CollectiveTimesOutNamingThePeer) {
  std::string err = RunRanks(2, RankMode::kThreads, [&](int rank, int n, const chorusUniqueId& id) -> std::string {
    chorusConfig_t cfg = CHORUS_CONFIG_INITIALIZER;
    cfg.timeoutMs = 500;
    chorusComm_t comm = nullptr;
    if (chorusCommInitRank(&comm, n, id, rank, &cfg) != chorusSuccess) return chorusGetLastError(nullptr);
    std::string e;
    if (rank == 0) {
      float x = 1, y = 0;
      auto t0 = Clock::now();
      chorusResult_t r = chorusAllReduce(&x, &y, 1, chorusFloat32, chorusSum, comm, nullptr);
      double took = SecondsSince(t0);
      std::string msg = chorusGetLastError(comm);
      if (r != chorusTimeout) e = std::string("got ") + chorusGetErrorString(r) + ": " + msg;
      else if (took > 1.5) e = "timeout took " + std::to_string(took) + " s";
      else if (msg.find("timed out") == std::string::npos || msg.find("rank 1") == std::string::npos) e = "message: " + msg;
      // The communicator is unusable afterwards, and says why.
      if (chorusAllReduce(&x, &y, 1, chorusFloat32, chorusSum, comm, nullptr) != chorusTimeout) e += " reuse allowed";
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    }
    chorusCommAbort(comm);
    return e;
  });
  EXPECT_EQ(err, "");
}

TEST(Fault, InitTimesOutWhenARankNeverArrives) {
  chorusUniqueId id;
  ASSERT_EQ(chorusGetUniqueId(&id), chorusSuccess);
  chorusConfig_t cfg = CHORUS_CONFIG_INITIALIZER;
  cfg.timeoutMs = 400;
  chorusComm_t comm = nullptr;
  auto t0 = Clock::now();
  EXPECT_EQ(chorusCommInitRank(&comm, 2, id, 0, &cfg), chorusTimeout);
  EXPECT_LT(SecondsSince(t0), 1.4);
  EXPECT_NE(std::string(chorusGetLastError(nullptr)).find("1"), std::string::npos) << chorusGetLastError(nullptr);
  EXPECT_EQ(comm, nullptr);
}

TEST(Lifecycle, NonBlockingInitReportsInProgressThenSuccess) {
  std::string err = RunRanks(3, RankMode::kThreads, [&](int rank, int n, const chorusUniqueId& id) -> std::string {
    chorusConfig_t cfg = CHORUS_CONFIG_INITIALIZER;
    cfg.blocking = 0;
    if (rank == 2) std::this_thread::sleep_for(std::chrono::milliseconds(300));  // a late rank
    chorusComm_t comm = nullptr;
    chorusResult_t r = chorusCommInitRank(&comm, n, id, rank, &cfg);
    if (r != chorusInProgress && r != chorusSuccess) return std::string("init: ") + chorusGetErrorString(r);
    if (comm == nullptr) return "no handle from a non-blocking init";
    bool saw_in_progress = false;
    chorusResult_t state = chorusInProgress;
    while (state == chorusInProgress) {
      if (chorusCommGetAsyncError(comm, &state) != chorusSuccess) return "GetAsyncError failed";
      if (state == chorusInProgress) {
        saw_in_progress = true;
        float x = 0;
        if (chorusAllReduce(&x, &x, 1, chorusFloat32, chorusSum, comm, nullptr) != chorusInvalidUsage) {
          return "a call during init was not refused";
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
    if (state != chorusSuccess) return std::string("init ended with ") + chorusGetErrorString(state);
    if (rank == 0 && !saw_in_progress) return "rank 0 never saw chorusInProgress although rank 2 was late";
    int32_t v = rank, s = 0;
    if (chorusAllReduce(&v, &s, 1, chorusInt32, chorusSum, comm, nullptr) != chorusSuccess || s != 3) return "all-reduce";
    chorusCommDestroy(comm);
    return "";
  });
  EXPECT_EQ(err, "");
}

TEST(Lifecycle, SplitByColorAndKey) {
  std::string err = RunRanks(5, RankMode::kProcesses, [&](int rank, int n, const chorusUniqueId& id) -> std::string {
    chorusComm_t comm = nullptr;
    if (chorusCommInitRank(&comm, n, id, rank, nullptr) != chorusSuccess) return chorusGetLastError(nullptr);
    // Rank 4 joins nothing; evens and odds split, ranked in reverse (key = -rank).
    int color = rank == 4 ? CHORUS_SPLIT_NOCOLOR : rank % 2;
    chorusComm_t sub = nullptr;
    if (chorusCommSplit(comm, color, -rank, &sub, nullptr) != chorusSuccess) return std::string("split: ") + chorusGetLastError(comm);
    std::string e;
    if (rank == 4) {
      if (sub != nullptr) e = "NOCOLOR rank got a communicator";
    } else {
      int r = -1, s = 0;
      chorusCommUserRank(sub, &r);
      chorusCommCount(sub, &s);
      int want_rank = rank < 2 ? 1 : 0;
      if (s != 2 || r != want_rank) e = "rank " + std::to_string(r) + " of " + std::to_string(s);
      int32_t v = rank, sum = 0;
      chorusAllReduce(&v, &sum, 1, chorusInt32, chorusSum, sub, nullptr);
      if (sum != (rank % 2 == 0 ? 0 + 2 : 1 + 3)) e += " sum " + std::to_string(sum);
      chorusCommDestroy(sub);
    }
    // The parent still works.
    int32_t one = 1, total = 0;
    if (chorusAllReduce(&one, &total, 1, chorusInt32, chorusSum, comm, nullptr) != chorusSuccess || total != 5) e += " parent";
    chorusCommDestroy(comm);
    return e;
  });
  EXPECT_EQ(err, "");
}

}  // namespace
}  // namespace chorus::testing
