// chorus-sched (tools/chorus-sched): prints the programs a generator writes, verifies them and
// fingerprints them, so identical programs under two names can be recognised.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

struct Result {
  int status = -1;
  std::string out;
};

// Runs chorus-sched with `args`; skips when the binary is not there.
Result Sched(const std::string& args) {
  Result r;
  const char* dir = std::getenv("CHORUS_BIN_DIR");
  if (dir == nullptr) return r;
  std::string cmd = std::string(dir) + "/chorus-sched " + args + " 2>&1";
  std::FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[512];
  while (std::fgets(buf, sizeof(buf), p) != nullptr) r.out += buf;
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

bool Available() {
  const char* dir = std::getenv("CHORUS_BIN_DIR");
  if (dir == nullptr) return false;
  std::FILE* f = std::fopen((std::string(dir) + "/chorus-sched").c_str(), "r");
  if (f == nullptr) return false;
  std::fclose(f);
  return true;
}

#define REQUIRE_TOOL() \
  if (!Available()) GTEST_SKIP() << "chorus-sched not built (CHORUS_BIN_DIR)"

TEST(ChorusSched, PrintsEveryRanksSteps) {
  REQUIRE_TOOL();
  // Ring all-reduce of 8 float32 on 2 ranks: send, fused reduce-and-forward, receive.
  Result r = Sched("ring --ranks 2 --count 8");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("rank 0/2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rank 1/2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("send peer=1 in[4+4]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("recv-reduce-send peer=1 ->1 in[0+4] -> out[0+4] final"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("recv peer=1 out[4+4]"), std::string::npos) << r.out;
  Result one = Sched("ring --ranks 2 --count 8 --rank 1");
  ASSERT_EQ(one.status, 0) << one.out;
  EXPECT_EQ(one.out.find("rank 0/2"), std::string::npos) << one.out;
  EXPECT_NE(one.out.find("rank 1/2"), std::string::npos) << one.out;
}

TEST(ChorusSched, VerifiesAndFingerprints) {
  REQUIRE_TOOL();
  Result v = Sched("pairwise --coll alltoall --ranks 5 --count 7 --in-place --verify");
  ASSERT_EQ(v.status, 0) << v.out;
  EXPECT_EQ(v.out.rfind("verified: ", 0), 0u) << v.out;
  // On 2 ranks Rabenseifner and two-shot write the same program while one block is one piece
  // (1 MiB: blocks of 512 KiB), and different ones once two-shot cuts blocks into pieces.
  auto fp = [](const std::string& args) {
    Result r = Sched(args + " --fingerprint");
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(r.out.size(), 17u) << r.out;  // 16 hex digits and a newline
    return r.out;
  };
  EXPECT_EQ(fp("rabenseifner --bytes 1M"), fp("two_shot --bytes 1M"));
  EXPECT_NE(fp("rabenseifner --bytes 64M"), fp("two_shot --bytes 64M"));
  // In place one-shot stages its pieces in scratch; two-shot's steps are the same either way.
  EXPECT_NE(fp("one_shot --bytes 4M"), fp("one_shot --bytes 4M --in-place"));
  EXPECT_EQ(fp("two_shot --bytes 4M"), fp("two_shot --bytes 4M --in-place"));
  // On 4 ranks Rabenseifner halves and doubles; two-shot exchanges directly.
  EXPECT_NE(fp("two_shot --bytes 1M --ranks 4"), fp("rabenseifner --bytes 1M --ranks 4"));
}

TEST(ChorusSched, RefusesBadInput) {
  REQUIRE_TOOL();
  Result unknown = Sched("no_such_algorithm");
  EXPECT_EQ(unknown.status, 2);
  EXPECT_NE(unknown.out.find("no algorithm 'no_such_algorithm'"), std::string::npos) << unknown.out;
  Result wrong = Sched("pairwise --coll allreduce");
  EXPECT_EQ(wrong.status, 1);
  EXPECT_NE(wrong.out.find("does not implement"), std::string::npos) << wrong.out;
  for (const char* bad : {"ring --ranks 0", "ring --ranks x", "ring --bytes -5", "ring --type float17",
                          "ring --coll sendrecv", "ring --rank 2", "ring --chunk", "ring --bogus", "ring --ranks 5000",
                          "ring --bytes 99999999999G", "--verify", "ring --rank 0 --fingerprint"}) {
    Result r = Sched(bad);
    EXPECT_EQ(r.status, 2) << bad << ": " << r.out;
  }
  // A program too large to show is refused, not generated for minutes.
  Result huge = Sched("one_shot --ranks 4096 --bytes 1G --chunk 64 --fingerprint");
  EXPECT_EQ(huge.status, 1) << huge.out;
  EXPECT_NE(huge.out.find("exceed"), std::string::npos) << huge.out;
  Result list = Sched("--list");
  ASSERT_EQ(list.status, 0);
  for (const char* name : {"ring", "double_tree", "two_shot", "pairwise", "bruck"})
    EXPECT_NE(list.out.find(std::string(name) + "\n"), std::string::npos) << name;
}

}  // namespace
