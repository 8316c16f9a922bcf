// Structural checks of every generator, independent of the verifier: sends and receives pair up
// per (sender, receiver, channel) with equal counts, every slice is inside its buffer, kInput is
// never written, kOutput is untouched without an output, no empty steps are emitted, and element
// offsets survive counts beyond 2^32.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <sstream>
#include <tuple>
#include <vector>

#include "algorithms/registry.h"
#include "algorithms/schedule.h"
#include "algorithms/verifier.h"

namespace chorus::sched {
namespace {

bool Writes(OpCode op) {
  return op != OpCode::kSend && op != OpCode::kSignal && op != OpCode::kWait &&
         op != OpCode::kPut;
}
bool Reads(OpCode op) {
  return op == OpCode::kSend || op == OpCode::kRecvReduce || op == OpCode::kRecvReduceSend ||
         op == OpCode::kCopy || op == OpCode::kLocalReduce || op == OpCode::kSwitchReduce ||
         op == OpCode::kPut;
}
bool Receives(OpCode op) {
  return op == OpCode::kRecv || op == OpCode::kRecvReduce || op == OpCode::kRecvReduceSend ||
         op == OpCode::kRecvCopySend;
}
bool SendsTo(const Step& s, Rank* to) {
  if (s.op == OpCode::kSend) return *to = s.peer, true;
  if (s.op == OpCode::kRecvReduceSend || s.op == OpCode::kRecvCopySend) return *to = s.send_peer, true;
  return false;
}

CollArgs RankArgs(CollArgs a, Rank r) {
  if (a.coll == Collective::kReduce && r != a.root) a.has_output = false;
  return a;
}

// Returns "" or the first structural problem.
std::string CheckStructure(const Algorithm& algo, const CollArgs& base) {
  const int n = base.nranks;
  // (from, to, channel) -> counts in order.
  std::map<std::tuple<int, int, size_t>, std::vector<Count>> sent, received;
  for (Rank r = 0; r < n; ++r) {
    CollArgs a = RankArgs(base, r);
    RankProgram p;
    Status st = algo.generate(a, r, &p);
    if (!st.ok()) return "generate failed: " + st.message();
    if (p.rank != r || p.nranks != n) return "wrong rank/nranks in program";
    Count limit[3] = {InputElems(a), a.has_output ? OutputElems(a) : 0, p.scratch_elems};
    for (size_t c = 0; c < p.channels.size(); ++c) {
      for (size_t i = 0; i < p.channels[c].steps.size(); ++i) {
        const Step& s = p.channels[c].steps[i];
        std::ostringstream where;
        where << "rank " << r << " channel " << c << " step " << i << " (" << ToString(s) << "): ";
        Count cnt = s.op == OpCode::kSend ? s.src.count : s.dst.count;
        if (cnt == 0) return where.str() + "empty step";
        if (Reads(s.op)) {
          if (s.src.count != cnt) return where.str() + "src/dst counts differ";
          if (s.src.offset + s.src.count > limit[static_cast<int>(s.src.buffer)])
            return where.str() + "src out of bounds";
        }
        if (Writes(s.op)) {
          if (s.dst.buffer == Buffer::kInput) return where.str() + "writes the input";
          if (s.dst.offset + s.dst.count > limit[static_cast<int>(s.dst.buffer)])
            return where.str() + "dst out of bounds";
        }
        if (!a.has_output && ((Reads(s.op) && s.src.buffer == Buffer::kOutput) ||
                              (Writes(s.op) && s.dst.buffer == Buffer::kOutput)))
          return where.str() + "touches the output of a rank without one";
        if (Receives(s.op)) {
          if (s.peer < 0 || s.peer >= n || s.peer == r) return where.str() + "bad peer";
          received[{s.peer, r, c}].push_back(cnt);
        }
        Rank to;
        if (SendsTo(s, &to)) {
          if (to < 0 || to >= n || to == r) return where.str() + "bad send peer";
          sent[{r, to, c}].push_back(cnt);
        }
      }
    }
  }
  for (const auto& [key, counts] : sent) {
    auto it = received.find(key);
    std::ostringstream o;
    o << std::get<0>(key) << "->" << std::get<1>(key) << " channel " << std::get<2>(key);
    if (it == received.end()) return "sends with no receives: " + o.str();
    if (it->second != counts) return "send/receive counts differ: " + o.str();
  }
  for (const auto& [key, counts] : received) {
    if (!sent.count(key)) return "receives with no sends";
  }
  return "";
}

const Collective kColls[] = {Collective::kAllReduce, Collective::kAllGather,
                             Collective::kReduceScatter, Collective::kAllToAll,
                             Collective::kBroadcast, Collective::kReduce};

TEST(Generators, CoreAlgorithmsAreRegistered) {
  for (const char* name : {"ring", "pairwise", "chain", "double_tree", "recursive_doubling",
                           "rabenseifner", "bruck", "one_shot", "two_shot", "hierarchical",
                           "switch_offload"}) {
    EXPECT_NE(FindAlgorithm(name), nullptr) << name;
  }
  CollArgs a;
  a.coll = Collective::kAllToAll;
  EXPECT_FALSE(FindAlgorithm("ring")->applies(a));
  EXPECT_TRUE(FindAlgorithm("pairwise")->applies(a));
  // Topology-dependent generators apply only when the arguments say the topology allows them.
  CollArgs ar;
  ar.nranks = 8;
  EXPECT_FALSE(FindAlgorithm("switch_offload")->applies(ar));
  EXPECT_FALSE(FindAlgorithm("hierarchical")->applies(ar));
  ar.has_reducing_switch = true;
  ar.ranks_per_node = 4;
  EXPECT_TRUE(FindAlgorithm("switch_offload")->applies(ar));
  EXPECT_TRUE(FindAlgorithm("hierarchical")->applies(ar));
  ar.ranks_per_node = 8;  // one host: nothing to be hierarchical about
  EXPECT_FALSE(FindAlgorithm("hierarchical")->applies(ar));
}

TEST(Generators, StructureSweep) {
  int checked = 0;
  for (const Algorithm& algo : Algorithms()) {
    for (Collective coll : kColls) {
      for (int n : {1, 2, 3, 4, 5, 7, 8, 13, 16}) {
        for (Count count : {Count{0}, Count{1}, Count(n - 1), Count(n + 3), Count{200}}) {
          for (int channels : {1, 3}) {
            for (Bytes chunk : {Bytes{0}, Bytes{40}}) {
              for (bool in_place : {false, true}) {
                CollArgs a;
                a.coll = coll;
                a.nranks = n;
                a.count = count;
                a.root = n / 2;
                a.channels = channels;
                a.chunk_bytes = chunk;
                a.in_place = in_place;
                a.has_reducing_switch = true;
                a.ranks_per_node = (n % 2 == 0 && n > 2) ? 2 : 0;
                if (!algo.applies(a)) continue;
                std::string err = CheckStructure(algo, a);
                ASSERT_EQ(err, "") << algo.name << " " << Name(coll) << " n=" << n
                                   << " count=" << count << " channels=" << channels
                                   << " chunk=" << chunk << " in_place=" << in_place;
                ++checked;
              }
            }
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 100);
}

TEST(Generators, HugeCountsKeepSixtyFourBitOffsets) {
  const Count huge = (Count{1} << 33) + 7;
  for (const Algorithm& algo : Algorithms()) {
    for (Collective coll : kColls) {
      CollArgs a;
      a.coll = coll;
      a.nranks = 3;
      a.count = huge;
      a.elem_size = 1;
      a.has_reducing_switch = true;
      if (!algo.applies(a)) continue;
      ASSERT_EQ(CheckStructure(algo, a), "") << algo.name << " " << Name(coll);
      // The highest element any step touches must reach the top of the biggest buffer.
      Count top = 0;
      for (Rank r = 0; r < a.nranks; ++r) {
        RankProgram p;
        ASSERT_TRUE(algo.generate(RankArgs(a, r), r, &p).ok());
        for (const auto& ch : p.channels)
          for (const auto& s : ch.steps)
            for (const Slice* sl : {&s.src, &s.dst})
              if (sl->count > 0 && sl->buffer != Buffer::kScratch)
                top = std::max(top, sl->offset + sl->count);
      }
      EXPECT_EQ(top, std::max(InputElems(a), OutputElems(a))) << algo.name << " " << Name(coll);
    }
  }
}

// Per rank, the element counts of its sends in order.
std::vector<std::vector<Count>> SendCounts(const Algorithm& algo, const CollArgs& a,
                                           Count* scratch_most) {
  std::vector<std::vector<Count>> sends(static_cast<size_t>(a.nranks));
  *scratch_most = 0;
  for (Rank r = 0; r < a.nranks; ++r) {
    RankProgram p;
    EXPECT_TRUE(algo.generate(RankArgs(a, r), r, &p).ok());
    *scratch_most = std::max(*scratch_most, p.scratch_elems);
    for (const auto& ch : p.channels)
      for (const auto& s : ch.steps) {
        Rank to;
        if (SendsTo(s, &to)) sends[r].push_back(s.op == OpCode::kSend ? s.src.count : s.dst.count);
      }
  }
  return sends;
}

// Recursive halving: log2 p messages of half, a quarter, ... of the data, partials in at most half
// of it; a non-power-of-two count adds the fold (the extra rank's whole input out, its block back).
TEST(Generators, RabenseifnerReduceScatterHalves) {
  const Algorithm& algo = *FindAlgorithm("rabenseifner");
  CollArgs a;
  a.coll = Collective::kReduceScatter;
  a.nranks = 8;
  a.count = 10;
  ASSERT_TRUE(algo.applies(a));
  Count scratch = 0;
  auto sends = SendCounts(algo, a, &scratch);
  for (Rank r = 0; r < 8; ++r) EXPECT_EQ(sends[r], (std::vector<Count>{40, 20, 10})) << r;
  EXPECT_EQ(scratch, 40);
  // 6 = 4 + 2: ranks 0 and 2 hand their 6 blocks to 1 and 3. Rank 1 stands for ranks 0-1 and
  // keeps blocks 0-3 (sends 4-5), then sends blocks 2-3 to rank 3 (active 1) one by one, as
  // they go on to ranks 2 and 3, and finally returns block 0 to rank 0.
  a.nranks = 6;
  sends = SendCounts(algo, a, &scratch);
  EXPECT_EQ(sends[0], (std::vector<Count>{60}));
  EXPECT_EQ(sends[1], (std::vector<Count>{20, 10, 10, 10}));
  EXPECT_EQ(sends[4], (std::vector<Count>{40, 10}));
  EXPECT_EQ(scratch, 60);
  // Two ranks: one message each, straight into the output.
  a.nranks = 2;
  sends = SendCounts(algo, a, &scratch);
  EXPECT_EQ(sends[0], (std::vector<Count>{10}));
  EXPECT_EQ(scratch, 0);
}

// One-shot sends in pieces of the chunk size (else 512 KiB): every peer gets each piece, in the
// same messages whether a rank is in place or not. In place only two pieces of scratch are used,
// not a copy of the whole input.
TEST(Generators, OneShotSendsPiecesAndKeepsTwoInScratch) {
  const Algorithm& algo = *FindAlgorithm("one_shot");
  CollArgs a;
  a.coll = Collective::kAllReduce;
  a.nranks = 3;
  a.count = 10;
  a.chunk_bytes = 3 * 4;  // 3 elements: pieces of 3, 3, 3, 1
  Count scratch = 0;
  auto out_of_place = SendCounts(algo, a, &scratch);
  for (Rank r = 0; r < 3; ++r) EXPECT_EQ(out_of_place[r], (std::vector<Count>{3, 3, 3, 3, 3, 3, 1, 1})) << r;
  EXPECT_EQ(scratch, 0);
  a.in_place = true;
  EXPECT_EQ(SendCounts(algo, a, &scratch), out_of_place);
  EXPECT_EQ(scratch, 6);
  // Without a chunk size: 512 KiB pieces; a 64 MiB call in place holds 1 MiB of scratch.
  a.chunk_bytes = 0;
  a.nranks = 2;
  a.count = (64 << 20) / 4;
  auto big = SendCounts(algo, a, &scratch);
  EXPECT_EQ(big[0].size(), 128u);
  EXPECT_EQ(big[0][0], Count{128 << 10});
  EXPECT_EQ(scratch, Count{256 << 10});
}

// Two-shot goes in pieces too (the chunk size, else 512 KiB, every block cut into as many): a
// rank sends its peers' pieces one piece ahead, reduces piece p from every peer and sends it on
// at once, while it is in cache, then receives the peers' finished piece p-1.
TEST(Generators, TwoShotSendsEachFinishedPieceBeforeReducingTheNext) {
  const Algorithm& algo = *FindAlgorithm("two_shot");
  CollArgs a;
  a.coll = Collective::kAllReduce;
  a.nranks = 4;
  a.count = (64 << 20) / 4;
  const Count block = a.count / 4, piece = 128 << 10;  // 512 KiB of float32
  const int pieces = 32;
  const Rank r = 1;
  RankProgram p;
  ASSERT_TRUE(algo.generate(a, r, &p).ok());
  ASSERT_EQ(p.channels.size(), 1u);
  // (operation, buffer it reads or writes, offset) of every step, in order.
  using Shape = std::tuple<OpCode, Buffer, Count>;
  std::vector<Shape> want;
  auto at = [&](Rank i, int q) { return static_cast<Count>(i) * block + q * piece; };
  auto scatter = [&](int q) {
    for (int k = 1; k < 4; ++k) want.emplace_back(OpCode::kSend, Buffer::kInput, at((r + k) % 4, q));
  };
  auto reduce = [&](int q) {
    for (int k = 1; k < 4; ++k) want.emplace_back(OpCode::kRecvReduce, Buffer::kOutput, at(r, q));
    for (int k = 1; k < 4; ++k) want.emplace_back(OpCode::kSend, Buffer::kOutput, at(r, q));
  };
  auto gather = [&](int q) {
    for (int k = 1; k < 4; ++k) want.emplace_back(OpCode::kRecv, Buffer::kOutput, at((r - k + 4) % 4, q));
  };
  scatter(0);
  for (int q = 0; q < pieces; ++q) {
    if (q + 1 < pieces) scatter(q + 1);
    reduce(q);
    if (q > 0) gather(q - 1);
  }
  gather(pieces - 1);
  std::vector<Shape> got;
  for (const Step& s : p.channels[0].steps) {
    const Slice& x = s.op == OpCode::kSend ? s.src : s.dst;
    EXPECT_EQ(x.count, piece) << ToString(s);
    got.emplace_back(s.op, x.buffer, x.offset);
  }
  EXPECT_EQ(got, want);
  // A chunk size sets the pieces. 14 elements on 4 ranks: blocks of 4, 4, 3 and 3, each cut in
  // two pieces (2 + 2, 2 + 1), so rank 0 sends its peers' pieces 0, then 1, then its own
  // finished pieces; every piece is proved by the verifier, in place and not.
  a.count = 14;
  a.chunk_bytes = 2 * 4;
  Count scratch = 0;
  auto sends = SendCounts(algo, a, &scratch);
  EXPECT_EQ(sends[0], (std::vector<Count>{2, 2, 2, 2, 1, 1, 2, 2, 2, 2, 2, 2}));
  EXPECT_EQ(sends[2], (std::vector<Count>{2, 2, 2, 1, 2, 2, 2, 2, 2, 1, 1, 1}));
  EXPECT_EQ(scratch, 0);
  EXPECT_TRUE(VerifyAlgorithm(algo, a).ok());
  a.in_place = true;
  EXPECT_TRUE(VerifyAlgorithm(algo, a).ok());
}

TEST(Generators, RejectsBadArguments) {
  for (const Algorithm& algo : Algorithms()) {
    CollArgs a;
    a.nranks = 4;
    a.count = 10;
    for (Collective coll : kColls) {
      a.coll = coll;
      if (algo.applies(a)) break;
    }
    RankProgram p;
    EXPECT_FALSE(algo.generate(a, 4, &p).ok()) << algo.name;
    EXPECT_FALSE(algo.generate(a, -1, &p).ok()) << algo.name;
    CollArgs b = a;
    b.channels = 0;
    EXPECT_FALSE(algo.generate(b, 0, &p).ok()) << algo.name;
  }
}

}  // namespace
}  // namespace chorus::sched
