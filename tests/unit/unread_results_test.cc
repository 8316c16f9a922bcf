// MarkUnreadResults: which results an executor may write around the caches. Hand-checked cases
// (ring and Bruck all-gather, ring all-reduce, avg) and a sweep of every generator against a
// plain quadratic reference of the rule.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "algorithms/registry.h"
#include "algorithms/schedule.h"
#include "algorithms/verifier.h"
#include "support/sched_args.h"

namespace chorus::sched {
namespace {

RankProgram Marked(const char* algo, CollArgs a, Rank r) {
  a = ArgsForRank(a, r);
  RankProgram p;
  EXPECT_TRUE(FindAlgorithm(algo)->generate(a, r, &p).ok()) << algo;
  MarkUnreadResults(a, &p);
  return p;
}

std::vector<const Step*> StepsOf(const RankProgram& p, OpCode op) {
  std::vector<const Step*> out;
  for (const auto& ch : p.channels) {
    for (const auto& s : ch.steps) {
      if (s.op == op) out.push_back(&s);
    }
  }
  return out;
}

CollArgs Args(Collective coll, int n, Count count) { return chorus::testing::SchedArgs(coll, n, count); }

TEST(UnreadResults, RingAllGatherStreamsItsCopyAndLastReceive) {
  const RankProgram p = Marked("ring", Args(Collective::kAllGather, 3, 100), 1);
  ASSERT_EQ(StepsOf(p, OpCode::kCopy).size(), 1u);
  EXPECT_TRUE(StepsOf(p, OpCode::kCopy)[0]->result_unread);  // the send reads the input instead
  ASSERT_EQ(StepsOf(p, OpCode::kRecv).size(), 1u);
  EXPECT_TRUE(StepsOf(p, OpCode::kRecv)[0]->result_unread);
  for (const Step* s : StepsOf(p, OpCode::kRecvCopySend)) EXPECT_FALSE(s->result_unread);
}

TEST(UnreadResults, BruckAllGatherKeepsWhatItSendsOnCached) {
  // Bruck sends its blocks from the output: neither the local copy nor the first receive (sent on
  // in the next step) is unread; the last step's receive is.
  const RankProgram p = Marked("bruck", Args(Collective::kAllGather, 4, 100), 0);
  ASSERT_EQ(StepsOf(p, OpCode::kCopy).size(), 1u);
  EXPECT_FALSE(StepsOf(p, OpCode::kCopy)[0]->result_unread);
  const auto recvs = StepsOf(p, OpCode::kRecv);
  ASSERT_EQ(recvs.size(), 2u);
  EXPECT_FALSE(recvs[0]->result_unread);
  EXPECT_TRUE(recvs[1]->result_unread);
}

TEST(UnreadResults, RingAllReduceStreamsOnlyTheBlocksNotSentOn) {
  // Rank r reduces block r into the output and then sends it round the all-gather: cached. Only
  // the all-gather's last receive is unread.
  const RankProgram p = Marked("ring", Args(Collective::kAllReduce, 4, 400), 2);
  int unread = 0;
  for (const auto& ch : p.channels) {
    for (const auto& s : ch.steps) {
      if (!s.result_unread) continue;
      ++unread;
      EXPECT_EQ(s.op, OpCode::kRecv) << ToString(s);
    }
  }
  EXPECT_EQ(unread, 1);
}

// What the executor streams in a large call: unread results, and the ring's reduce-and-forward
// into the output when out of place (the forward reads it back; in place it is the operand, just
// read, in cache). Not a reduce-and-forward into scratch, nor any other step.
TEST(UnreadResults, LargeCallsAlsoStreamReduceAndForwardIntoTheOutputOutOfPlace) {
  const RankProgram p = Marked("ring", Args(Collective::kAllReduce, 4, 400), 2);
  const auto forwards = StepsOf(p, OpCode::kRecvReduceSend);
  ASSERT_FALSE(forwards.empty());
  int into_output = 0;
  for (const Step* s : forwards) {
    if (s->dst.buffer != Buffer::kOutput) continue;
    ++into_output;
    EXPECT_FALSE(s->result_unread) << ToString(*s);
    EXPECT_TRUE(StreamsWhenLarge(*s, /*operand_is_dst=*/false, ReduceOp::kSum)) << ToString(*s);
    EXPECT_FALSE(StreamsWhenLarge(*s, /*operand_is_dst=*/true, ReduceOp::kSum)) << ToString(*s);
  }
  EXPECT_EQ(into_output, 3);  // the reduce-scatter's partials go through the output too
  Step scratch = *forwards[0];
  scratch.dst.buffer = Buffer::kScratch;
  EXPECT_FALSE(StreamsWhenLarge(scratch, false, ReduceOp::kSum));
  for (const Step* s : StepsOf(p, OpCode::kSend)) EXPECT_FALSE(StreamsWhenLarge(*s, false, ReduceOp::kSum));
  // The last reduce-scatter step finalizes: an average divides it right after, from the cache.
  int finalizing = 0;
  for (const Step* s : forwards) {
    if (s->dst.buffer != Buffer::kOutput || !s->finalize) continue;
    ++finalizing;
    EXPECT_FALSE(StreamsWhenLarge(*s, false, ReduceOp::kAvg)) << ToString(*s);
    EXPECT_TRUE(StreamsWhenLarge(*s, false, ReduceOp::kMax)) << ToString(*s);
  }
  EXPECT_EQ(finalizing, 1);
}

TEST(UnreadResults, AvgEpilogueAndNoOutputStayCached) {
  CollArgs a = Args(Collective::kReduceScatter, 3, 50);
  a.op = ReduceOp::kAvg;
  const RankProgram avg = Marked("ring", a, 0);
  for (const auto& ch : avg.channels) {
    for (const auto& s : ch.steps) EXPECT_FALSE(s.finalize && s.result_unread) << ToString(s);
  }
  a.op = ReduceOp::kSum;
  bool any = false;
  for (const auto& ch : Marked("ring", a, 0).channels) {
    for (const auto& s : ch.steps) any = any || (s.finalize && s.result_unread);
  }
  EXPECT_TRUE(any) << "a sum's final block, read by no later step, is unread";
  // Non-root ranks of a reduce have no output.
  CollArgs r = Args(Collective::kReduce, 3, 50);
  r.root = 0;
  for (const auto& ch : Marked("chain", r, 1).channels) {
    for (const auto& s : ch.steps) EXPECT_FALSE(s.result_unread);
  }
}

// The rule, spelled out quadratically: a receive or copy into the output whose bytes no step of
// another channel, and no later step of its own, reads.
std::vector<bool> Reference(const CollArgs& a, const RankProgram& p) {
  struct Range { int space; Count lo, hi; };
  // In place, everything lives in one space laid out as the verifier lays it out: reduce-scatter's
  // output is input block `rank`; otherwise the input sits in the output.
  auto extent = [&](const Slice& s) {
    if (a.in_place && s.buffer != Buffer::kScratch) {
      Count at = s.offset;
      if (a.coll == Collective::kReduceScatter && s.buffer == Buffer::kOutput) at += a.count * p.rank;
      if (a.coll != Collective::kReduceScatter && s.buffer == Buffer::kInput) at += InPlaceInputOffset(a, p.rank);
      return Range{1, at, at + s.count};
    }
    return Range{static_cast<int>(s.buffer), s.offset, s.offset + s.count};
  };
  auto reads = [&](const Step& s) {
    std::vector<Slice> r;
    switch (s.op) {
      case OpCode::kSend: case OpCode::kCopy: case OpCode::kRecvReduce: r = {s.src}; break;
      case OpCode::kRecvReduceSend: case OpCode::kLocalReduce: case OpCode::kSwitchReduce: r = {s.src, s.dst}; break;
      case OpCode::kRecvCopySend: r = {s.dst}; break;
      default: break;
    }
    return r;
  };
  std::vector<bool> out;
  for (size_t c = 0; c < p.channels.size(); ++c) {
    for (size_t i = 0; i < p.channels[c].steps.size(); ++i) {
      const Step& s = p.channels[c].steps[i];
      bool unread = a.has_output && s.dst.count > 0 && s.dst.buffer == Buffer::kOutput &&
                    (s.op == OpCode::kRecv || s.op == OpCode::kRecvReduce || s.op == OpCode::kCopy) &&
                    !(s.finalize && a.op == ReduceOp::kAvg);
      const Range mine = extent(s.dst);
      for (size_t c2 = 0; c2 < p.channels.size() && unread; ++c2) {
        for (size_t j = 0; j < p.channels[c2].steps.size() && unread; ++j) {
          if (c2 == c && j <= i) continue;
          for (const Slice& r : reads(p.channels[c2].steps[j])) {
            const Range e = extent(r);
            if (e.space == mine.space && e.lo < mine.hi && mine.lo < e.hi && r.count > 0) unread = false;
          }
        }
      }
      out.push_back(unread);
    }
  }
  return out;
}

TEST(UnreadResults, EveryGeneratorMatchesTheQuadraticRule) {
  int checked = 0, marked = 0;
  for (const Algorithm& algo : Algorithms()) {
    for (Collective coll : {Collective::kAllReduce, Collective::kAllGather, Collective::kReduceScatter,
                            Collective::kAllToAll, Collective::kBroadcast, Collective::kReduce}) {
      for (int n : {1, 2, 3, 4, 6, 8}) {
        for (int channels : {1, 2}) {
          for (bool in_place : {false, true}) {
            CollArgs a = Args(coll, n, 37);
            a.channels = channels;
            a.in_place = in_place;
            a.root = n - 1;
            a.ranks_per_node = n >= 4 ? 2 : 0;
            a.has_reducing_switch = true;
            if (!algo.applies(a)) continue;
            for (Rank r = 0; r < n; ++r) {
              const CollArgs ar = ArgsForRank(a, r);
              RankProgram p;
              ASSERT_TRUE(algo.generate(ar, r, &p).ok());
              MarkUnreadResults(ar, &p);
              const std::vector<bool> want = Reference(ar, p);
              size_t k = 0;
              for (const auto& ch : p.channels) {
                for (const auto& s : ch.steps) {
                  ASSERT_EQ(s.result_unread, want[k]) << algo.name << " " << Name(coll) << " n=" << n << " rank " << r
                                                      << " channels=" << channels << " in_place=" << in_place
                                                      << " step " << ToString(s);
                  marked += s.result_unread;
                  ++k;
                }
              }
              ++checked;
            }
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 500);
  EXPECT_GT(marked, 100);
}

}  // namespace
}  // namespace chorus::sched
