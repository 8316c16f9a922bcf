// Single copy (shm references) switched on through CHORUS_SHM_SINGLE_COPY_BYTES=4096: every
// collective and grouped send/recv against the serial reference as processes and threads, every
// all-reduce algorithm at 3 ranks, proof that references are really taken (the transport's log
// line, and a send that now waits for its receiver), and a rank killed while its buffers are
// referenced.
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "algorithms/registry.h"
#include "chorus/chorus.h"
#include "core/log.h"
#include "support/collective_case.h"
#include "support/test_support.h"

namespace chorus::testing {
namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kSingleCopyVar = "CHORUS_SHM_SINGLE_COPY_BYTES";
constexpr const char* kThreshold = "4096";

double SecondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Single copy on for the test's ranks (forked ranks inherit the environment; thread ranks read it
// at init), and nothing left set afterwards.
class SingleCopyEnv {
 protected:
  static void On() { setenv(kSingleCopyVar, kThreshold, 1); }
  static void Off() {
    unsetenv(kSingleCopyVar);
    unsetenv("CHORUS_ALGO");
  }
};

class SingleCopy : public ::testing::Test, protected SingleCopyEnv {
 protected:
  void SetUp() override { On(); }
  void TearDown() override { Off(); }
};

std::string InitRunDestroy(int rank, int n, const chorusUniqueId& id, const std::vector<Case>& cases,
                           const std::string& label) {
  chorusComm_t comm = nullptr;
  if (chorusCommInitRank(&comm, n, id, rank, nullptr) != chorusSuccess) {
    return std::string("init: ") + chorusGetLastError(nullptr);
  }
  std::string failures;
  for (const Case& c : cases) {
    std::string e = RunCase(comm, rank, n, c);
    if (!e.empty()) { failures = e + label; break; }
  }
  chorusCommDestroy(comm);
  return failures;
}

// Sizes that are no multiple of the reference grains (1 MiB copies, 128 KiB reductions) or of
// the 4 KiB threshold, in place and out of place, misaligned, and three element sizes.
std::vector<Case> Cases(Collective coll, int nranks) {
  const ReduceOp sum = ReduceOp::kSum;
  std::vector<Case> cases = {
      {coll, DataType::kFloat32, sum, 300007, false, nranks - 1, 0, 11},
      {coll, DataType::kFloat32, sum, 300007, true, 0, 1, 12},
      {coll, DataType::kBfloat16, sum, 100003, true, 1 % nranks, 0, 13},
      {coll, DataType::kInt8, Reduces(coll) ? ReduceOp::kMax : sum, (size_t{1} << 20) + 5, false, 0, 3, 14},
      // Below the threshold: the copy path, on the same connections.
      {coll, DataType::kFloat32, sum, 333, false, 0, 0, 15},
  };
  return cases;
}

using CollParam = std::tuple<Collective, int, RankMode>;

class SingleCopyCollectives : public ::testing::TestWithParam<CollParam>, protected SingleCopyEnv {
 protected:
  void SetUp() override { On(); }
  void TearDown() override { Off(); }
};

TEST_P(SingleCopyCollectives, MatchesSerialReference) {
  auto [coll, nranks, mode] = GetParam();
  std::vector<Case> cases = Cases(coll, nranks);
  std::string err = RunRanks(nranks, mode, [&](int rank, int n, const chorusUniqueId& id) {
    return InitRunDestroy(rank, n, id, cases, " [single copy]");
  });
  EXPECT_EQ(err, "");
}

std::vector<CollParam> CollParams() {
  std::vector<CollParam> params;
  for (Collective coll : {Collective::kAllReduce, Collective::kAllGather, Collective::kReduceScatter,
                          Collective::kAllToAll, Collective::kBroadcast, Collective::kReduce}) {
    for (int n : {2, 3, 4}) {
      for (RankMode mode : {RankMode::kProcesses, RankMode::kThreads}) params.emplace_back(coll, n, mode);
    }
  }
  return params;
}

INSTANTIATE_TEST_SUITE_P(Every, SingleCopyCollectives, ::testing::ValuesIn(CollParams()),
                         [](const ::testing::TestParamInfo<CollParam>& info) {
                           return std::string(Name(std::get<0>(info.param))) + "_" +
                                  std::to_string(std::get<1>(info.param)) + "ranks_" + Name(std::get<2>(info.param));
                         });

// Every all-reduce algorithm that applies at 3 ranks, forced, as processes.
class SingleCopyAlgorithms : public ::testing::TestWithParam<std::string>, protected SingleCopyEnv {
 protected:
  void SetUp() override { On(); }
  void TearDown() override { Off(); }
};

TEST_P(SingleCopyAlgorithms, AllReduceMatchesSerialReference) {
  const std::string algo = GetParam();
  setenv("CHORUS_ALGO", algo.c_str(), 1);
  const ReduceOp sum = ReduceOp::kSum;
  const Collective ar = Collective::kAllReduce;
  std::vector<Case> cases = {
      {ar, DataType::kFloat32, sum, 300007, false, 0, 0, 21},
      {ar, DataType::kFloat32, sum, 300007, true, 0, 1, 22},
      {ar, DataType::kBfloat16, sum, 100003, true, 0, 0, 23},
      {ar, DataType::kInt8, ReduceOp::kMin, (size_t{1} << 20) + 5, false, 0, 0, 24},
  };
  std::string err = RunRanks(3, RankMode::kProcesses, [&](int rank, int n, const chorusUniqueId& id) {
    return InitRunDestroy(rank, n, id, cases, " [single copy, algorithm " + algo + "]");
  });
  EXPECT_EQ(err, "");
}

std::vector<std::string> AllReduceAlgorithms() {
  sched::CollArgs args;
  args.coll = Collective::kAllReduce;
  args.nranks = 3;
  args.count = 300007;
  std::vector<std::string> names;
  for (const sched::Algorithm* a : sched::ApplicableAlgorithms(args)) names.push_back(a->name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(ThreeRanks, SingleCopyAlgorithms, ::testing::ValuesIn(AllReduceAlgorithms()),
                         [](const auto& info) { return info.param; });

// Grouped send/recv: every rank sends to every rank (itself included) two messages whose sizes
// depend on the pair, some under the threshold, and receives them in the same group.
int32_t P2PValue(int src, int dst, int msg, size_t i) {
  return static_cast<int32_t>(src * 100000007 + dst * 1000003 + msg * 7919 + static_cast<int64_t>(i) * 3);
}
size_t P2PCount(int src, int dst, int msg) {
  static const size_t counts[] = {300007, 1000, 70001, 5, 262147};
  return counts[(src * 3 + dst * 5 + msg) % 5];
}

class SingleCopySendRecv : public ::testing::TestWithParam<std::tuple<int, RankMode>>, protected SingleCopyEnv {
 protected:
  void SetUp() override { On(); }
  void TearDown() override { Off(); }
};

TEST_P(SingleCopySendRecv, GroupedExchangeWithEveryRank) {
  auto [nranks, mode] = GetParam();
  std::string err = RunRanks(nranks, mode, [&](int rank, int n, const chorusUniqueId& id) -> std::string {
    chorusComm_t comm = nullptr;
    if (chorusCommInitRank(&comm, n, id, rank, nullptr) != chorusSuccess) return chorusGetLastError(nullptr);
    std::vector<std::vector<int32_t>> send(2 * n), recv(2 * n);
    for (int peer = 0; peer < n; ++peer) {
      for (int m = 0; m < 2; ++m) {
        auto& s = send[2 * peer + m];
        s.resize(P2PCount(rank, peer, m));
        for (size_t i = 0; i < s.size(); ++i) s[i] = P2PValue(rank, peer, m, i);
        recv[2 * peer + m].assign(P2PCount(peer, rank, m), -1);
      }
    }
    std::string e;
    chorusGroupStart();
    // Receives first: only grouping makes this order safe.
    for (int peer = 0; peer < n; ++peer) {
      for (int m = 0; m < 2; ++m) {
        auto& r = recv[2 * peer + m];
        chorusRecv(r.data(), r.size(), chorusInt32, peer, comm, nullptr);
      }
    }
    for (int k = 0; k < n; ++k) {
      const int peer = (rank + k) % n;
      for (int m = 0; m < 2; ++m) {
        auto& s = send[2 * peer + m];
        chorusSend(s.data(), s.size(), chorusInt32, peer, comm, nullptr);
      }
    }
    if (chorusGroupEnd() != chorusSuccess) e = std::string("group: ") + chorusGetLastError(comm);
    for (int peer = 0; peer < n && e.empty(); ++peer) {
      for (int m = 0; m < 2 && e.empty(); ++m) {
        const auto& r = recv[2 * peer + m];
        for (size_t i = 0; i < r.size(); ++i) {
          if (r[i] != P2PValue(peer, rank, m, i)) {
            e = "message " + std::to_string(m) + " from rank " + std::to_string(peer) + " (" +
                std::to_string(r.size()) + " int32) wrong at " + std::to_string(i);
            break;
          }
        }
      }
    }
    // Ungrouped pairs, in both orders.
    if (e.empty() && rank < (n / 2) * 2) {
      const int peer = rank ^ 1;
      std::vector<float> mine(300007, static_cast<float>(rank + 1)), theirs(300007, 0);
      if (rank % 2 == 0) {
        chorusSend(mine.data(), mine.size(), chorusFloat32, peer, comm, nullptr);
        chorusRecv(theirs.data(), theirs.size(), chorusFloat32, peer, comm, nullptr);
      } else {
        chorusRecv(theirs.data(), theirs.size(), chorusFloat32, peer, comm, nullptr);
        chorusSend(mine.data(), mine.size(), chorusFloat32, peer, comm, nullptr);
      }
      if (theirs.front() != peer + 1.0f || theirs.back() != peer + 1.0f) e = "pairwise send/recv got wrong values";
    }
    // In place, by reference: each send's reference into the buffer the receive overwrites.
    if (e.empty()) {
      const int right = (rank + 1) % n, left = (rank + n - 1) % n;
      std::vector<int32_t> buf(size_t{1} << 20);
      for (size_t i = 0; i < buf.size(); ++i) buf[i] = P2PValue(rank, right, 0, i);
      chorusGroupStart();
      chorusSend(buf.data(), buf.size(), chorusInt32, right, comm, nullptr);
      chorusRecv(buf.data(), buf.size(), chorusInt32, left, comm, nullptr);
      if (chorusGroupEnd() != chorusSuccess) e = std::string("in-place group: ") + chorusGetLastError(comm);
      for (size_t i = 0; i < buf.size() && e.empty(); ++i) {
        if (buf[i] != P2PValue(left, rank, 0, i)) e = "in-place exchange wrong at " + std::to_string(i);
      }
    }
    chorusCommDestroy(comm);
    return e;
  });
  EXPECT_EQ(err, "");
}

INSTANTIATE_TEST_SUITE_P(Ranks, SingleCopySendRecv,
                         ::testing::Combine(::testing::Values(2, 3, 4),
                                            ::testing::Values(RankMode::kProcesses, RankMode::kThreads)),
                         [](const auto& info) {
                           return std::to_string(std::get<0>(info.param)) + "ranks_" + Name(std::get<1>(info.param));
                         });

// ---- are references really used? ----

// The transport logs, per rank, "single copy to K of N ranks". With the log configured before
// any rank exists (the ranks inherit it), each rank's line is matched by its pid.
std::string ReadAll(const std::string& dir) {
  std::string all;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      std::ifstream f(dir + "/" + e->d_name);
      std::stringstream ss;
      ss << f.rdbuf();
      all += ss.str();
    }
    closedir(d);
  }
  return all;
}

void RemoveDir(const std::string& dir) {
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') unlink((dir + "/" + e->d_name).c_str());
    }
    closedir(d);
  }
  rmdir(dir.c_str());
}

// The "connected" line of the rank whose process is `pid`, or "".
std::string ConnectedLine(const std::string& log, int pid) {
  std::istringstream in(log);
  std::string line;
  const std::string who = ":" + std::to_string(pid) + " CHORUS INFO TRANSPORT";
  while (std::getline(in, line)) {
    if (line.find(who) != std::string::npos && line.find("connected") != std::string::npos) return line;
  }
  return "";
}

TEST_F(SingleCopy, TransportLogsReferencesToEveryRank) {
  char tmpl[] = "/tmp/chorus-single-copy-log-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  setenv("CHORUS_DEBUG", "INFO", 1);
  setenv("CHORUS_DEBUG_SUBSYS", "TRANSPORT", 1);
  setenv("CHORUS_DEBUG_FILE", (dir + "/log.%p").c_str(), 1);
  // The log reads its settings once per process: if something in this process logged before,
  // they are fixed already (run this test on its own, as ctest does).
  const bool log_on = LogEnabled(LogLevel::kInfo, LogSubsys::kTransport);
  unsetenv("CHORUS_DEBUG");
  unsetenv("CHORUS_DEBUG_SUBSYS");
  unsetenv("CHORUS_DEBUG_FILE");
  if (!log_on) {
    RemoveDir(dir);
    GTEST_SKIP() << "logging was configured earlier in this process; run this test alone";
  }
  auto body = [](int rank, int n, const chorusUniqueId& id) -> std::string {
    chorusComm_t comm = nullptr;
    if (chorusCommInitRank(&comm, n, id, rank, nullptr) != chorusSuccess) return chorusGetLastError(nullptr);
    std::vector<float> v(100000, 1.0f);
    std::string e;
    if (chorusAllReduce(v.data(), v.data(), v.size(), chorusFloat32, chorusSum, comm, nullptr) != chorusSuccess ||
        v[99999] != static_cast<float>(n)) {
      e = std::string("all-reduce: ") + chorusGetLastError(comm);
    }
    chorusCommDestroy(comm);
    return e;
  };
  std::vector<int> on_pids, off_pids;
  EXPECT_EQ(RunRanks(3, RankMode::kProcesses, body, 60, &on_pids), "");
  unsetenv(kSingleCopyVar);  // the control: the same run with single copy off
  EXPECT_EQ(RunRanks(3, RankMode::kProcesses, body, 60, &off_pids), "");
  const std::string log = ReadAll(dir);
  RemoveDir(dir);
  ASSERT_EQ(on_pids.size(), 3u);
  ASSERT_EQ(off_pids.size(), 3u);
  for (int r = 0; r < 3; ++r) {
    const std::string on = ConnectedLine(log, on_pids[r]);
    EXPECT_NE(on.find("single copy to 3 of 3 ranks from 4096 bytes"), std::string::npos)
        << "rank " << r << " with single copy on: '" << on << "'\nlog:\n" << log;
    const std::string off = ConnectedLine(log, off_pids[r]);
    EXPECT_NE(off.find("single copy to 0 of 3 ranks"), std::string::npos)
        << "rank " << r << " with single copy off: '" << off << "'\nlog:\n" << log;
  }
}

// A message that fits in the FIFO completes at once by copy, but by reference only once the
// receiver has read it: a send that waits for a late receiver proves the reference was taken.
// The same run with single copy off is the control.
double SendSecondsWithLateReceiver(RankMode mode, std::string* err) {
  constexpr double kLate = 0.5;
  double took = -1;
  int fd[2] = {-1, -1};
  if (mode == RankMode::kProcesses && pipe(fd) != 0) { *err = "pipe"; return -1; }
  *err = RunRanks(2, mode, [&](int rank, int n, const chorusUniqueId& id) -> std::string {
    chorusComm_t comm = nullptr;
    if (chorusCommInitRank(&comm, n, id, rank, nullptr) != chorusSuccess) return chorusGetLastError(nullptr);
    std::vector<float> buf(64 * 1024, rank == 0 ? 3.0f : 0.0f);  // 256 KiB: half the default FIFO
    std::string e;
    if (chorusBarrier(comm, nullptr) != chorusSuccess) e = "barrier";
    if (e.empty() && rank == 0) {
      auto t0 = Clock::now();
      if (chorusSend(buf.data(), buf.size(), chorusFloat32, 1, comm, nullptr) != chorusSuccess) e = chorusGetLastError(comm);
      double s = SecondsSince(t0);
      if (mode == RankMode::kProcesses) {
        ssize_t unused = write(fd[1], &s, sizeof(s));
        (void)unused;
      } else {
        took = s;
      }
    } else if (e.empty()) {
      std::this_thread::sleep_for(std::chrono::duration<double>(kLate));
      if (chorusRecv(buf.data(), buf.size(), chorusFloat32, 0, comm, nullptr) != chorusSuccess) e = chorusGetLastError(comm);
      else if (buf.front() != 3.0f || buf.back() != 3.0f) e = "received wrong values";
    }
    chorusCommDestroy(comm);
    return e;
  });
  if (mode == RankMode::kProcesses) {
    close(fd[1]);
    if (read(fd[0], &took, sizeof(took)) != static_cast<ssize_t>(sizeof(took))) took = -1;
    close(fd[0]);
  }
  return took;
}

class SingleCopyProof : public ::testing::TestWithParam<RankMode>, protected SingleCopyEnv {
 protected:
  void TearDown() override { Off(); }
};

TEST_P(SingleCopyProof, SendWaitsForTheReceiverOnlyWithReferences) {
  std::string err;
  On();
  const double with_refs = SendSecondsWithLateReceiver(GetParam(), &err);
  ASSERT_EQ(err, "");
  Off();
  const double without = SendSecondsWithLateReceiver(GetParam(), &err);
  ASSERT_EQ(err, "");
  EXPECT_GE(with_refs, 0.35) << "the send returned before the receiver had read it: no reference was taken";
  EXPECT_GE(without, 0.0);
  EXPECT_LT(without, 0.35) << "control: without references a 256 KiB send should not wait for the receiver";
}

INSTANTIATE_TEST_SUITE_P(Modes, SingleCopyProof, ::testing::Values(RankMode::kProcesses, RankMode::kThreads),
                         [](const auto& info) { return std::string(Name(info.param)); });

// ---- a rank killed while its buffers are referenced ----


TEST_F(SingleCopy, KilledRankDuringAllGatherFailsTheSurvivorsFast) {
  const int nranks = 3, victim = 2;
  const int64_t timeout_ms = 4000;
  std::vector<int> pids;
  std::string err = RunRanks(nranks, RankMode::kProcesses, [&](int rank, int n, const chorusUniqueId& id) -> std::string {
    chorusConfig_t cfg = CHORUS_CONFIG_INITIALIZER;
    cfg.timeoutMs = timeout_ms;
    chorusComm_t comm = nullptr;
    if (chorusCommInitRank(&comm, n, id, rank, &cfg) != chorusSuccess) return chorusGetLastError(nullptr);
    const size_t count = (4u << 20) / 4;  // 4 MiB from each rank, read by reference
    std::vector<float> in(count, static_cast<float>(rank)), out(count * n);
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
      r = chorusAllGather(in.data(), out.data(), count, chorusFloat32, comm, nullptr);
    }
    const double waited = SecondsSince(call_start);
    std::string msg = chorusGetLastError(comm);
    std::string e;
    if (r != chorusRemoteError && r != chorusTimeout) e = std::string("got ") + chorusGetErrorString(r) + ": " + msg;
    else if (waited > timeout_ms / 1000.0 + 1.0) e = "error took " + std::to_string(waited) + " s: " + msg;
    // Whether the survivor learns it from its own read (process_vm_readv: no such process), from
    // the liveness check, or from the other survivor's declared failure, the dead rank is named.
    else if (r == chorusRemoteError && (msg.find("rank 2") == std::string::npos || msg.find("died") == std::string::npos)) {
      e = "message does not say that rank 2 died: " + msg;
    }
    chorusCommAbort(comm);
    return e;
  }, 60, &pids);
  EXPECT_EQ(err, "rank 2: killed by signal 9\n");
  EXPECT_EQ(LeakedSegments(pids), "");
}

// A rank killed while the receiver has yet to read its reference: the receiver's read fails at
// once (no such process) and says who died. Its message should carry the same context as every
// other data-path error (the call, this rank, the host, the step).
TEST_F(SingleCopy, ReferenceFromARankKilledBeforeTheRead) {
  std::vector<int> pids;
  std::string err = RunRanks(2, RankMode::kProcesses, [&](int rank, int n, const chorusUniqueId& id) -> std::string {
    chorusConfig_t cfg = CHORUS_CONFIG_INITIALIZER;
    cfg.timeoutMs = 4000;
    chorusComm_t comm = nullptr;
    if (chorusCommInitRank(&comm, n, id, rank, &cfg) != chorusSuccess) return chorusGetLastError(nullptr);
    std::vector<float> buf((4u << 20) / 4, static_cast<float>(rank));
    if (rank == 1) {
      std::thread([] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        kill(getpid(), SIGKILL);
      }).detach();
      chorusSend(buf.data(), buf.size(), chorusFloat32, 0, comm, nullptr);  // waits for the read
      return "rank 1 survived its own SIGKILL";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(400));  // rank 1 is dead by now
    auto t0 = Clock::now();
    chorusResult_t r = chorusRecv(buf.data(), buf.size(), chorusFloat32, 1, comm, nullptr);
    const double took = SecondsSince(t0);
    const std::string msg = chorusGetLastError(comm);
    chorusCommAbort(comm);
    if (r != chorusRemoteError) return std::string("got ") + chorusGetErrorString(r) + ": " + msg;
    if (took > 1.0) return "the error took " + std::to_string(took) + " s: " + msg;
    if (msg.find("rank 1") == std::string::npos || msg.find("died") == std::string::npos) {
      return "message does not say that rank 1 died: " + msg;
    }
    if (msg.find("host") == std::string::npos || msg.find("on rank 0") == std::string::npos) {
      return "message lacks the call/rank/host context: " + msg;
    }
    return "";
  }, 60, &pids);
  EXPECT_EQ(LeakedSegments(pids), "");
  EXPECT_EQ(err, "rank 1: killed by signal 9\n");
}

// A rank whose call failed while a reference to its buffer was still unread has returned to the
// application, which may reuse the buffer at once. The receiver must then fail (or still see the
// bytes as they were when sent), never take the new contents as the message.
TEST_F(SingleCopy, BufferReusedAfterAFailedCallIsNeverDelivered) {
  // go: rank 0's call has returned; done: rank 1 has received (rank 0 must still be alive then, or
  // the read fails only because the process is gone).
  int go[2], done[2];
  ASSERT_EQ(pipe(go), 0);
  ASSERT_EQ(pipe(done), 0);
  std::string err = RunRanks(3, RankMode::kProcesses, [&](int rank, int n, const chorusUniqueId& id) -> std::string {
    chorusConfig_t cfg = CHORUS_CONFIG_INITIALIZER;
    cfg.timeoutMs = 1000;
    chorusComm_t comm = nullptr;
    if (chorusCommInitRank(&comm, n, id, rank, &cfg) != chorusSuccess) return chorusGetLastError(nullptr);
    std::vector<float> buf(256 * 1024, 1.0f);  // 1 MiB
    std::string e;
    if (rank == 0) {
      close(go[0]);
      // The send to rank 1 is posted (as a reference) first; the receive from rank 2, which never
      // sends, then times out.
      std::vector<float> from2(16);
      chorusGroupStart();
      chorusSend(buf.data(), buf.size(), chorusFloat32, 1, comm, nullptr);
      chorusRecv(from2.data(), from2.size(), chorusFloat32, 2, comm, nullptr);
      chorusResult_t r = chorusGroupEnd();
      if (r == chorusSuccess) e = "the group succeeded without rank 2";
      std::fill(buf.begin(), buf.end(), 7.0f);  // the application reuses its buffer
      close(done[1]);
      char c = 1;
      ssize_t unused = write(go[1], &c, 1);
      close(go[1]);
      unused = read(done[0], &c, 1);  // until rank 1 has received
      (void)unused;
      close(done[0]);
    } else if (rank == 1) {
      close(go[1]);
      close(done[0]);
      char c;
      ssize_t unused = read(go[0], &c, 1);  // until rank 0's call has returned
      (void)unused;
      close(go[0]);
      std::fill(buf.begin(), buf.end(), 0.0f);
      chorusResult_t r = chorusRecv(buf.data(), buf.size(), chorusFloat32, 0, comm, nullptr);
      if (r == chorusSuccess) {
        size_t stale = std::count(buf.begin(), buf.end(), 7.0f);
        if (stale > 0) {
          e = "stale read: received " + std::to_string(stale) +
              " elements rank 0 wrote after its call had failed";
        } else if (std::count(buf.begin(), buf.end(), 1.0f) != static_cast<long>(buf.size())) {
          e = "received wrong values";
        }
      }
      unused = write(done[1], &c, 1);
      close(done[1]);
    } else {
      close(go[0]);
      close(go[1]);
      close(done[0]);
      close(done[1]);
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    }
    chorusCommAbort(comm);
    return e;
  }, 20);
  for (int fd : {go[0], go[1], done[0], done[1]}) close(fd);
  EXPECT_EQ(err, "");
}

}  // namespace
}  // namespace chorus::testing
