// The verifier proves every registered generator correct over a sweep of rank counts, counts,
// channels, chunk sizes, in-place modes and ops; hand-broken schedules prove it can fail.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "algorithms/emit.h"
#include "algorithms/registry.h"
#include "algorithms/verifier.h"

namespace chorus::sched {
namespace {

// Fixed-seed splitmix64 for reproducible sampling.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Below(uint64_t n) {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (z ^ (z >> 31)) % n;
  }

 private:
  uint64_t state_;
};

const Collective kColls[] = {Collective::kAllReduce, Collective::kAllGather,
                             Collective::kReduceScatter, Collective::kAllToAll,
                             Collective::kBroadcast, Collective::kReduce};

std::string Describe(const Algorithm& algo, const CollArgs& a) {
  std::ostringstream o;
  o << algo.name << " " << Name(a.coll) << " nranks=" << a.nranks << " count=" << a.count
    << " root=" << a.root << " channels=" << a.channels << " chunk_bytes=" << a.chunk_bytes
    << " in_place=" << a.in_place << " op=" << Name(a.op);
  return o.str();
}

// Steps in all ranks' programs: the verifier's work.
size_t TotalSteps(const Algorithm& algo, const CollArgs& a) {
  size_t steps = 0;
  for (Rank r = 0; r < a.nranks; ++r) {
    RankProgram p;
    if (!algo.generate(ArgsForRank(a, r), r, &p).ok()) return 0;
    for (const auto& ch : p.channels) steps += ch.steps.size();
  }
  return steps;
}

// Runs one case; "" when it verifies (or does not apply).
std::string Check(const Algorithm& algo, CollArgs a) {
  if (!algo.applies(a)) return "";
  // Small chunks multiply the steps of algorithms that send whole vectors (one-shot: n^2
  // messages): coarsen them until the case stays cheap.
  while (a.chunk_bytes > 0 && TotalSteps(algo, a) > 150000) a.chunk_bytes *= 4;
  Status st = VerifyAlgorithm(algo, a);
  return st.ok() ? "" : st.message();
}

// A ranks-per-node value that divides n into several hosts (0 when n has no such divisor), for
// the hierarchical generator; the others ignore it.
int RanksPerNode(int n) {
  std::vector<int> divisors;
  for (int d = 2; d <= n / 2; ++d)
    if (n % d == 0) divisors.push_back(d);
  return divisors.empty() ? 0 : divisors[divisors.size() / 2];
}

CollArgs Case(Collective coll, int n, Count count, int channels, Bytes chunk, bool in_place,
              ReduceOp op) {
  CollArgs a;
  a.ranks_per_node = RanksPerNode(n);
  a.has_reducing_switch = true;
  a.coll = coll;
  a.nranks = n;
  a.count = count;
  a.root = n > 1 ? n - 2 : 0;
  a.channels = channels;
  a.chunk_bytes = chunk;
  a.in_place = in_place;
  a.op = op;
  a.elem_size = 4;
  return a;
}

// The smallest failing variant of a failing case: fewest ranks, then smallest count.
std::string Shrink(const Algorithm& algo, const CollArgs& failing) {
  for (int n = 1; n <= failing.nranks; ++n) {
    std::set<Count> counts = {0, 1, 2, 3, 4, 5, 7, 8, 13, static_cast<Count>(n - 1),
                              static_cast<Count>(n + 3), failing.count};
    for (Count c : counts) {
      if (c > failing.count) continue;
      CollArgs a = failing;
      a.nranks = n;
      a.count = c;
      a.root = std::min(failing.root, n - 1);
      a.ranks_per_node = RanksPerNode(n);
      std::string err = Check(algo, a);
      if (!err.empty()) return Describe(algo, a) + "\n  " + err;
    }
  }
  return Describe(algo, failing) + "\n  " + Check(algo, failing);
}

// No chunking, a chunk that cuts each message into about four pieces (an all-reduce's messages
// are 1/n of the data, the other collectives' a whole block), and for tiny counts one element.
std::vector<Bytes> Chunks(Collective coll, int n, Count count) {
  Count message = coll == Collective::kAllReduce ? count / static_cast<Count>(n) : count;
  std::vector<Bytes> c = {0, std::max<Bytes>(4, message)};
  if (count <= 16) c.push_back(4);
  return c;
}

std::vector<Count> Counts(int n) {
  return {0, 1, static_cast<Count>(n - 1), static_cast<Count>(n + 3), 1009};
}

TEST(Verifier, EveryGeneratorSmallRanksExhaustive) {
  auto t0 = std::chrono::steady_clock::now();
  size_t cases = 0;
  for (const Algorithm& algo : Algorithms()) {
    for (Collective coll : kColls) {
      for (int n = 1; n <= 12; ++n) {
        for (Count count : Counts(n)) {
          for (int channels : {1, 3}) {
            for (Bytes chunk : Chunks(coll, n, count)) {
              for (bool in_place : {false, true}) {
                ReduceOp op = (cases % 2) ? ReduceOp::kAvg : ReduceOp::kSum;
                CollArgs a = Case(coll, n, count, channels, chunk, in_place, op);
                if (!algo.applies(a)) continue;
                ++cases;
                if (!Check(algo, a).empty()) {
                  FAIL() << "smallest failing case: " << Shrink(algo, a);
                }
              }
            }
          }
        }
      }
    }
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("verified %zu cases in %.2f s\n", cases, s);
  EXPECT_GT(cases, 500u);
}

TEST(Verifier, EveryGeneratorSampledUpTo64Ranks) {
  Rng rng(0xc0ffee);
  auto t0 = std::chrono::steady_clock::now();
  size_t cases = 0;
  for (const Algorithm& algo : Algorithms()) {
    for (Collective coll : kColls) {
      for (int n = 13; n <= 64; ++n) {
        // Every count at one rank count in eight, else about two random configurations.
        std::vector<Count> counts = Counts(n);
        for (size_t ci = 0; ci < counts.size(); ++ci) {
          if (n % 8 != 0 && rng.Below(counts.size()) > 1) continue;
          Count count = counts[ci];
          int channels = rng.Below(2) ? 3 : 1;
          auto chunks = Chunks(coll, n, count);
          Bytes chunk = chunks[rng.Below(chunks.size())];
          bool in_place = rng.Below(2) == 1;
          ReduceOp op = rng.Below(2) ? ReduceOp::kAvg : ReduceOp::kSum;
          CollArgs a = Case(coll, n, count, channels, chunk, in_place, op);
          if (!algo.applies(a)) continue;
          ++cases;
          if (!Check(algo, a).empty()) FAIL() << "smallest failing case: " << Shrink(algo, a);
        }
      }
    }
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("verified %zu cases in %.2f s\n", cases, s);
  EXPECT_GT(cases, 100u);
}

TEST(Verifier, EveryGeneratorLargeRankCounts) {
  auto t0 = std::chrono::steady_clock::now();
  size_t cases = 0;
  for (const Algorithm& algo : Algorithms()) {
    for (Collective coll : kColls) {
      for (int n : {127, 256, 1024}) {
        // Big rank counts: a count with empty blocks and (below 1024) one with every block
        // non-empty.
        for (Count count : {Count{5}, static_cast<Count>(n + 3)}) {
          if (n == 1024 && count > 5) continue;
          bool in_place = (n + count) % 2 == 0;
          CollArgs a = Case(coll, n, count, n == 127 ? 3 : 1, 0, in_place, ReduceOp::kAvg);
          if (!algo.applies(a)) continue;
          // Schedules with n^2 log n steps at 1024 ranks (Bruck's all-to-all) take too long
          // for CI; their shape is the same at the smaller counts above.
          size_t steps = TotalSteps(algo, a);
          if (steps > 1200000) {
            std::printf("skipped (%zu steps): %s\n", steps, Describe(algo, a).c_str());
            continue;
          }
          ++cases;
          if (!Check(algo, a).empty()) FAIL() << "smallest failing case: " << Shrink(algo, a);
        }
      }
    }
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("verified %zu cases in %.2f s\n", cases, s);
  EXPECT_GT(cases, 6u);
}

TEST(Verifier, RingAllReduceOn1024RanksWithEveryBlockNonEmpty) {
  CollArgs a = Case(Collective::kAllReduce, 1024, 1024 * 3 + 1, 1, 0, true, ReduceOp::kAvg);
  VerifyStats stats;
  Status st = VerifyAlgorithm(*FindAlgorithm("ring"), a, &stats);
  EXPECT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(stats.messages, size_t{2} * 1023 * 1024);
}

TEST(Verifier, HugeCountsBeyondThirtyTwoBits) {
  const Count huge = (Count{1} << 33) + 7;
  size_t cases = 0;
  for (const Algorithm& algo : Algorithms()) {
    for (Collective coll : kColls) {
      for (int n : {1, 3, 8}) {
        for (bool in_place : {false, true}) {
          CollArgs a = Case(coll, n, huge, 2, 0, in_place, ReduceOp::kSum);
          a.elem_size = 1;
          if (!algo.applies(a)) continue;
          ++cases;
          std::string err = Check(algo, a);
          EXPECT_EQ(err, "") << Describe(algo, a);
        }
      }
    }
  }
  EXPECT_GT(cases, 6u);
}

// In-place-ness is decided per rank by its pointers: schedules must work when only some ranks
// are in place (generators change only local copies with it, never the messages).
TEST(Verifier, RanksMayDifferInWhetherTheyAreInPlace) {
  size_t cases = 0;
  for (const Algorithm& algo : Algorithms()) {
    for (Collective coll : kColls) {
      for (int n : {2, 3, 5, 8}) {
        for (int pattern = 0; pattern < 2; ++pattern) {
          CollArgs base = Case(coll, n, static_cast<Count>(n + 3), 2, 0, false, ReduceOp::kSum);
          if (!algo.applies(base)) continue;
          std::vector<CollArgs> rank_args;
          std::vector<RankProgram> programs(static_cast<size_t>(n));
          for (Rank r = 0; r < n; ++r) {
            CollArgs a = ArgsForRank(base, r);
            a.in_place = (r + pattern) % 2 == 0;
            ASSERT_TRUE(algo.generate(a, r, &programs[r]).ok());
            rank_args.push_back(a);
          }
          Status st = VerifySchedule(rank_args, programs);
          EXPECT_TRUE(st.ok()) << Describe(algo, base) << " pattern " << pattern << ": "
                               << st.message();
          ++cases;
        }
      }
    }
  }
  EXPECT_GT(cases, 50u);
}

// One-shot's pieces, several of them, with ranks in and out of place in every pattern: the two
// scratch pieces are reused only once the peers have taken what was sent from them.
TEST(Verifier, OneShotPiecesWithRanksInAndOutOfPlace) {
  const Algorithm& algo = *FindAlgorithm("one_shot");
  size_t cases = 0;
  for (int n : {2, 3, 4, 5}) {
    for (int channels : {1, 2}) {
      for (int pattern = 0; pattern < (1 << n); ++pattern) {
        CollArgs base = Case(Collective::kAllReduce, n, 23, channels, 2 * 4, false, ReduceOp::kSum);
        std::vector<CollArgs> rank_args;
        std::vector<RankProgram> programs(static_cast<size_t>(n));
        for (Rank r = 0; r < n; ++r) {
          CollArgs a = ArgsForRank(base, r);
          a.in_place = (pattern >> r) & 1;
          ASSERT_TRUE(algo.generate(a, r, &programs[r]).ok());
          rank_args.push_back(a);
        }
        Status st = VerifySchedule(rank_args, programs);
        EXPECT_TRUE(st.ok()) << Describe(algo, base) << " in-place pattern " << pattern << ": " << st.message();
        ++cases;
      }
    }
  }
  EXPECT_EQ(cases, 2u * (4 + 8 + 16 + 32));
}

// ---- Hand-written and hand-broken schedules: the verifier must reject each. ----

std::vector<RankProgram> Build(const char* algo, const CollArgs& a) {
  std::vector<RankProgram> p(static_cast<size_t>(a.nranks));
  const Algorithm* al = FindAlgorithm(algo);
  EXPECT_NE(al, nullptr);
  for (Rank r = 0; r < a.nranks; ++r) {
    EXPECT_TRUE(al->generate(ArgsForRank(a, r), r, &p[r]).ok());
  }
  return p;
}

CollArgs RingAllReduce(int n, Count count) {
  return Case(Collective::kAllReduce, n, count, 1, 0, false, ReduceOp::kSum);
}

std::vector<RankProgram> Empty(const CollArgs& a, int channels = 1) {
  std::vector<RankProgram> p(static_cast<size_t>(a.nranks));
  for (Rank r = 0; r < a.nranks; ++r) {
    p[r].rank = r;
    p[r].nranks = a.nranks;
    p[r].channels.resize(static_cast<size_t>(channels));
  }
  return p;
}

void ExpectRejected(const CollArgs& a, const std::vector<RankProgram>& p, const std::string& want) {
  Status st = VerifySchedule(a, p);
  if (getenv("VERIFIER_SHOW")) std::printf("%s\n", st.message().c_str());
  ASSERT_FALSE(st.ok()) << "expected a failure mentioning '" << want << "'";
  EXPECT_NE(st.message().find(want), std::string::npos) << st.message();
}

TEST(VerifierRejects, UnbrokenRingIsAccepted) {
  CollArgs a = RingAllReduce(4, 10);
  EXPECT_TRUE(VerifySchedule(a, Build("ring", a)).ok());
}

TEST(VerifierRejects, DroppedStep) {
  CollArgs a = RingAllReduce(4, 10);
  auto p = Build("ring", a);
  auto& steps = p[2].channels[0].steps;
  steps.erase(steps.begin() + 3);
  ExpectRejected(a, p, "schedule:");
}

TEST(VerifierRejects, DroppedLastReceiveLeavesASendUnmatched) {
  CollArgs a = RingAllReduce(4, 10);
  auto p = Build("ring", a);
  p[1].channels[0].steps.pop_back();
  ExpectRejected(a, p, "is never received");
}

TEST(VerifierRejects, SwappedPeer) {
  CollArgs a = RingAllReduce(4, 10);
  auto p = Build("ring", a);
  Step& s = p[1].channels[0].steps[2];
  ASSERT_GE(s.send_peer, 0);
  s.send_peer = (s.send_peer + 1) % 4 == 1 ? (s.send_peer + 2) % 4 : (s.send_peer + 1) % 4;
  ExpectRejected(a, p, "schedule:");
}

TEST(VerifierRejects, ReceiveBeforeSendDeadlocks) {
  CollArgs a = Case(Collective::kAllGather, 2, 4, 1, 0, false, ReduceOp::kSum);
  auto p = Empty(a);
  for (Rank r = 0; r < 2; ++r) {
    Emitter e(&p[r].channels[0], 0);
    e.Copy(In(0, 4), Out(4 * r, 4));
    e.Recv(1 - r, Out(4 * (1 - r), 4));
    e.Send(1 - r, In(0, 4));
  }
  ExpectRejected(a, p, "deadlock");
  // The same exchange with the send first is correct.
  for (Rank r = 0; r < 2; ++r) std::swap(p[r].channels[0].steps[1], p[r].channels[0].steps[2]);
  EXPECT_TRUE(VerifySchedule(a, p).ok()) << VerifySchedule(a, p).message();
}

TEST(VerifierRejects, SingleBufferedRingReduceScatterDeadlocksOnTheHazard) {
  CollArgs a = Case(Collective::kReduceScatter, 5, 6, 1, 0, false, ReduceOp::kSum);
  auto p = Build("ring", a);
  // Point every intermediate partial at scratch slot 0.
  for (auto& prog : p)
    for (auto& s : prog.channels[0].steps)
      if (s.dst.buffer == Buffer::kScratch) s.dst.offset = 0;
  ExpectRejected(a, p, "waits to overwrite memory its send");
}

TEST(VerifierRejects, WriteToInput) {
  CollArgs a = RingAllReduce(3, 9);
  auto p = Build("ring", a);
  for (auto& s : p[0].channels[0].steps)
    if (s.op == OpCode::kRecvCopySend) s.dst.buffer = Buffer::kInput;
  ExpectRejected(a, p, "writes the input buffer");
}

TEST(VerifierRejects, DoubleReduction) {
  CollArgs a = RingAllReduce(2, 4);
  auto p = Empty(a);
  Emitter e0(&p[0].channels[0], 0), e1(&p[1].channels[0], 0);
  e0.Send(1, In(0, 4));
  e0.Recv(1, Out(0, 4));
  e1.RecvReduce(0, In(0, 4), Out(0, 4));
  e1.LocalReduce(In(0, 4), Out(0, 4), true);  // rank 1's contribution again
  e1.Send(0, Out(0, 4));
  ExpectRejected(a, p, "reduces contributions twice");
}

TEST(VerifierRejects, MissingFinalize) {
  CollArgs a = RingAllReduce(4, 10);
  auto p = Build("ring", a);
  for (auto& prog : p)
    for (auto& s : prog.channels[0].steps) s.finalize = false;
  ExpectRejected(a, p, "(finalized)");
}

TEST(VerifierRejects, FinalizeOfPartialValue) {
  CollArgs a = RingAllReduce(4, 10);
  auto p = Build("ring", a);
  for (auto& s : p[0].channels[0].steps)
    if (s.op == OpCode::kRecvReduceSend) {
      s.finalize = true;
      break;
    }
  ExpectRejected(a, p, "finalizes a partial value");
}

TEST(VerifierRejects, UninitialisedScratchRead) {
  CollArgs a = RingAllReduce(2, 4);
  auto p = Build("ring", a);
  p[0].scratch_elems = 4;
  p[0].channels[0].steps[0].src = Scratch(0, 4);  // the first send now reads scratch
  ExpectRejected(a, p, "reads uninitialised scratch");
}

TEST(VerifierRejects, CountMismatch) {
  CollArgs a = RingAllReduce(3, 9);
  auto p = Build("ring", a);
  Step& s = p[1].channels[0].steps.back();
  ASSERT_EQ(s.op, OpCode::kRecv);
  s.dst.count -= 1;
  ExpectRejected(a, p, "elements but the matching send");
}

TEST(VerifierRejects, OutputTouchedWithoutOutput) {
  CollArgs a = Case(Collective::kReduce, 3, 6, 1, 0, false, ReduceOp::kSum);
  auto p = Build("chain", a);
  ASSERT_EQ(a.root, 1);
  for (auto& s : p[2].channels[0].steps)  // the middle of the chain 1 -> 2 -> 0
    if (s.dst.buffer == Buffer::kScratch) s.dst.buffer = Buffer::kOutput;
  ExpectRejected(a, p, "output of a rank that has none");
}

TEST(VerifierRejects, ChannelsRacingOnTheSameMemory) {
  CollArgs a = Case(Collective::kAllGather, 2, 6, 2, 0, false, ReduceOp::kSum);
  auto p = Build("ring", a);
  // Make channel 1 of rank 0 receive into channel 0's part.
  for (auto& s : p[0].channels[1].steps)
    if (s.op == OpCode::kRecv) s.dst.offset -= 3;
  ExpectRejected(a, p, "channels run concurrently");
}

TEST(VerifierRejects, RanksReducingInDifferentOrders) {
  // One-shot all-reduce over 3 ranks where each rank adds in its own order (own input first):
  // everybody gets all contributions, but not the same bits.
  CollArgs a = RingAllReduce(3, 5);
  auto build = [&](bool same_order) {
    auto p = Empty(a);
    for (Rank r = 0; r < 3; ++r) {
      p[r].scratch_elems = 15;
      Emitter e(&p[r].channels[0], 0);
      for (int k = 1; k < 3; ++k) e.Send((r + k) % 3, In(0, 5));
      for (int k = 1; k < 3; ++k) e.Recv((r + 3 - k) % 3, Scratch(5 * ((r + 3 - k) % 3), 5));
      e.Copy(In(0, 5), Scratch(5 * r, 5));
      std::vector<Rank> order = {0, 1, 2};
      if (!same_order) order = {r, (r + 1) % 3, (r + 2) % 3};
      e.Copy(Scratch(5 * order[0], 5), Out(0, 5));
      e.LocalReduce(Scratch(5 * order[1], 5), Out(0, 5));
      e.LocalReduce(Scratch(5 * order[2], 5), Out(0, 5), true);
    }
    return p;
  };
  ExpectRejected(a, build(false), "different order");
  Status st = VerifySchedule(a, build(true));
  EXPECT_TRUE(st.ok()) << st.message();
}

TEST(VerifierRejects, OutOfPlaceScheduleRunInPlace) {
  // Pairwise all-to-all written for separate buffers overwrites blocks it has yet to send when
  // the buffers alias.
  CollArgs a = Case(Collective::kAllToAll, 4, 3, 1, 0, false, ReduceOp::kSum);
  auto p = Build("pairwise", a);
  EXPECT_TRUE(VerifySchedule(a, p).ok());
  a.in_place = true;
  ExpectRejected(a, p, "schedule:");
}

TEST(VerifierRejects, WrongBlock) {
  CollArgs a = Case(Collective::kAllGather, 4, 5, 1, 0, false, ReduceOp::kSum);
  auto p = Build("ring", a);
  // Rank 3 files the last block it receives one block too far.
  Step& s = p[3].channels[0].steps.back();
  s.dst.offset = (s.dst.offset + 5) % 20;
  ExpectRejected(a, p, "schedule:");
}

}  // namespace
}  // namespace chorus::sched
