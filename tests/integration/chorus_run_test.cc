// chorus-run end to end: the launch variables, exit-code propagation, signal forwarding, the timeout,
// and real ranks bootstrapping from the environment it sets.
//
// The ranks of the bootstrap cases are this very binary: when CHORUS_RUN_TEST_CHILD is set, a static
// initialiser runs the rank's body and exits before GoogleTest starts.
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <thread>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "bootstrap/bootstrap.h"
#include "bootstrap/launch_env.h"

namespace chorus {
namespace {

using Clock = std::chrono::steady_clock;

// ---- the rank side (runs under chorus-run, before main) ----

int ChildMain(const std::string& mode) {
  LaunchInfo li;
  Status s = ReadLaunchInfo(&li);
  if (!s.ok()) {
    fprintf(stderr, "child: %s\n", s.message().c_str());
    return 10;
  }
  chorusUniqueId id;
  s = ReadLaunchUniqueId(&id);
  if (!s.ok()) {
    fprintf(stderr, "child: %s\n", s.message().c_str());
    return 11;
  }
  BootstrapOptions opts;
  opts.timeout_ms = 30000;
  std::unique_ptr<Bootstrap> b;
  s = Bootstrap::Create(id, li.rank, li.world_size, opts, &b);
  if (!s.ok()) {
    fprintf(stderr, "child rank %d: Create: %s\n", li.rank, s.message().c_str());
    return 12;
  }
  if (mode == "fail" && li.rank == 1) return 3;  // dies without a word; the others must notice
  std::vector<int32_t> ranks(li.world_size, -1);
  ranks[li.rank] = li.rank * 10;
  s = b->AllGather(ranks.data(), sizeof(int32_t));
  if (s.ok()) s = b->Barrier();
  if (!s.ok()) {
    fprintf(stderr, "child rank %d: %s\n", li.rank, s.message().c_str());
    return 5;
  }
  for (int r = 0; r < li.world_size; ++r) {
    if (ranks[r] != r * 10) return 6;
  }
  printf("rank %d of %d ok local %d/%d\n", li.rank, li.world_size, li.local_rank, li.local_size);
  fflush(stdout);
  b->Close();
  return 0;
}

const bool kChildRan = [] {
  const char* mode = getenv("CHORUS_RUN_TEST_CHILD");
  if (mode != nullptr) _exit(ChildMain(mode));
  return false;
}();

// ---- the test side ----

std::string BinDir() {
  if (const char* d = getenv("CHORUS_BIN_DIR")) return d;
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return ".";
  std::string self(buf, static_cast<size_t>(n));
  return self.substr(0, self.rfind('/'));
}

std::string SelfExe() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

std::string Launcher() {
  std::string path = BinDir() + "/chorus-run";
  EXPECT_EQ(access(path.c_str(), X_OK), 0) << path << " is missing: build the chorus-run target first";
  return path;
}

struct Result {
  int code = -1;
  std::string out;
  double seconds = 0;
};

// Runs a shell command line; stdout is captured, stderr passes through.
Result Sh(const std::string& cmd) {
  Result r;
  auto start = Clock::now();
  FILE* f = popen(cmd.c_str(), "r");
  if (f == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) r.out.append(buf, n);
  int status = pclose(f);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return r;
}

std::vector<std::string> SortedLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  std::sort(lines.begin(), lines.end());
  return lines;
}

TEST(ChorusRun, SetsLaunchEnvironment) {
  Result r = Sh(Launcher() +
                " -n 3 sh -c 'echo \"$CHORUS_RANK $CHORUS_WORLD_SIZE $CHORUS_LOCAL_RANK $CHORUS_LOCAL_SIZE "
                "$CHORUS_UNIQUE_ID\"'");
  ASSERT_EQ(r.code, 0) << r.out;
  auto lines = SortedLines(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  std::string id_text;
  for (int rank = 0; rank < 3; ++rank) {
    std::istringstream in(lines[rank]);
    int rk, size, lrk, lsize;
    std::string id;
    in >> rk >> size >> lrk >> lsize >> id;
    EXPECT_EQ(rk, rank);
    EXPECT_EQ(size, 3);
    EXPECT_EQ(lrk, rank);
    EXPECT_EQ(lsize, 3);
    if (rank == 0) id_text = id;
    EXPECT_EQ(id, id_text) << "every rank gets the same id";
  }
  chorusUniqueId id;
  Status s = UniqueIdFromString(id_text, &id);
  ASSERT_TRUE(s.ok()) << s.message();
  UniqueIdInfo info;
  ASSERT_TRUE(DecodeUniqueId(id, &info).ok());
  EXPECT_EQ(info.host, "127.0.0.1");
  // A second job gets a different id.
  Result again = Sh(Launcher() + " -n 1 sh -c 'echo $CHORUS_UNIQUE_ID'");
  EXPECT_EQ(again.code, 0);
  EXPECT_NE(again.out, id_text + "\n");
}

TEST(ChorusRun, AllSucceedGivesZero) {
  Result r = Sh(Launcher() + " -n 4 true");
  EXPECT_EQ(r.code, 0);
}

TEST(ChorusRun, FailingRankCodeAndOthersStopped) {
  Result r = Sh(Launcher() + " --grace 0.5 -n 3 sh -c 'if [ $CHORUS_RANK = 1 ]; then exit 7; fi; exec sleep 30'");
  EXPECT_EQ(r.code, 7);
  EXPECT_LT(r.seconds, 10) << "the sleeping ranks were not stopped";
}

TEST(ChorusRun, KilledRankGives128PlusSignal) {
  Result r = Sh(Launcher() + " --grace 0.5 -n 2 sh -c 'if [ $CHORUS_RANK = 0 ]; then kill -9 $$; fi; exec sleep 30'");
  EXPECT_EQ(r.code, 128 + 9);
  EXPECT_LT(r.seconds, 10);
}

TEST(ChorusRun, TimeoutGives124) {
  Result r = Sh(Launcher() + " --timeout 0.5 --grace 0.5 -n 2 sleep 30");
  EXPECT_EQ(r.code, 124);
  EXPECT_LT(r.seconds, 10);
}

TEST(ChorusRun, UsageErrors) {
  EXPECT_EQ(Sh(Launcher() + " 2>/dev/null").code, 2);
  EXPECT_EQ(Sh(Launcher() + " -n 0 true 2>/dev/null").code, 2);
  EXPECT_EQ(Sh(Launcher() + " -n 2 2>/dev/null").code, 2);
  EXPECT_EQ(Sh(Launcher() + " --bogus -n 2 true 2>/dev/null").code, 2);
  EXPECT_EQ(Sh(Launcher() + " -n 2 /nonexistent/program 2>/dev/null").code, 127);
  EXPECT_EQ(Sh(Launcher() + " --help").code, 0);
}

TEST(ChorusRun, ForwardsSigterm) {
  std::string launcher = Launcher();
  pid_t pid = fork();
  if (pid == 0) {
    execl(launcher.c_str(), launcher.c_str(), "-n", "2", "sleep", "30", static_cast<char*>(nullptr));
    _exit(99);
  }
  ASSERT_GT(pid, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto start = Clock::now();
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM);
  EXPECT_LT(seconds, 5);
}

TEST(ChorusRun, RanksBootstrapFromItsEnvironment) {
  Result r = Sh("CHORUS_RUN_TEST_CHILD=ok " + Launcher() + " -n 4 " + SelfExe());
  ASSERT_EQ(r.code, 0) << r.out;
  auto lines = SortedLines(r.out);
  ASSERT_EQ(lines.size(), 4u) << r.out;
  for (int rank = 0; rank < 4; ++rank) {
    EXPECT_EQ(lines[rank], "rank " + std::to_string(rank) + " of 4 ok local " + std::to_string(rank) + "/4");
  }
}

TEST(ChorusRun, DeadRankFailsJobFast) {
  // Rank 1 exits with 3 after joining; the others fail their all-gather at once (exit 5), well
  // before the 30 s bootstrap timeout and the 20 s grace. The job's code is that of the first exit
  // the launcher reaps: rank 1's, or a survivor's when they all die within one wake-up.
  Result r = Sh("CHORUS_RUN_TEST_CHILD=fail " + Launcher() + " --grace 20 -n 3 " + SelfExe() + " 2>/dev/null");
  EXPECT_TRUE(r.code == 3 || r.code == 5) << r.code;
  EXPECT_LT(r.seconds, 10) << "the surviving ranks waited instead of failing fast";
}

// The launch the docs give for mpirun (docs/bootstrap.md): rank and size from OMPI_*, rendezvous at
// CHORUS_ROOT_ADDR with a secret; chorus-bench then runs checked all-reduces on the 2 ranks.
TEST(Mpirun, ChorusBenchRunsUnderMpirun) {
  if (Sh("command -v mpirun >/dev/null 2>&1").code != 0) GTEST_SKIP() << "no mpirun on PATH";
  const std::string bench = BinDir() + "/chorus-bench";
  if (access(bench.c_str(), X_OK) != 0) GTEST_SKIP() << "chorus-bench is not built";
  // A port free now: bind to port 0 and read back what the kernel gave.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  const int port = ntohs(a.sin_port);
  close(fd);
  const std::string cmd =
      "timeout 120 mpirun --allow-run-as-root --oversubscribe -np 2 --mca btl_tcp_if_include lo "
      "--mca oob_tcp_if_include lo -x CHORUS_ROOT_ADDR=127.0.0.1:" + std::to_string(port) +
      " -x CHORUS_SECRET=mpirun-test-secret " + bench + " allreduce -b 8 -e 64K -f 8 -n 2 -w 1 -c 1 2>&1";
  Result r = Sh(cmd);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("nRanks 2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Out of bounds values : 0 OK"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace chorus
