// The plan codec: every registered generator's schedules survive encode -> decode -> encode
// unchanged (text and structs), and malformed plans fail with an error naming the line and the
// problem.
#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "algorithms/plan_codec.h"
#include "algorithms/registry.h"
#include "algorithms/verifier.h"

namespace chorus::sched {
namespace {

bool SameSlice(const Slice& a, const Slice& b) {
  return a.buffer == b.buffer && a.offset == b.offset && a.count == b.count;
}

// "" when equal, else where they differ.
std::string Diff(const std::vector<RankProgram>& a, const std::vector<RankProgram>& b) {
  if (a.size() != b.size()) return "program counts differ";
  for (size_t r = 0; r < a.size(); ++r) {
    const RankProgram& x = a[r];
    const RankProgram& y = b[r];
    std::string at = "rank " + std::to_string(r);
    if (x.rank != y.rank || x.nranks != y.nranks || x.scratch_elems != y.scratch_elems) return at + " header";
    if (x.channels.size() != y.channels.size()) return at + " channel count";
    for (size_t c = 0; c < x.channels.size(); ++c) {
      const auto& xs = x.channels[c].steps;
      const auto& ys = y.channels[c].steps;
      if (xs.size() != ys.size()) return at + " channel " + std::to_string(c) + " step count";
      for (size_t i = 0; i < xs.size(); ++i) {
        const Step& s = xs[i];
        const Step& t = ys[i];
        if (s.op != t.op || s.peer != t.peer || s.send_peer != t.send_peer || !SameSlice(s.src, t.src) ||
            !SameSlice(s.dst, t.dst) || s.finalize != t.finalize || s.flag != t.flag) {
          return at + " channel " + std::to_string(c) + " step " + std::to_string(i) + ": " +
                 ToString(s) + " vs " + ToString(t);
        }
      }
    }
  }
  return "";
}

bool SameArgs(const CollArgs& a, const CollArgs& b) {
  return a.coll == b.coll && a.nranks == b.nranks && a.count == b.count && a.root == b.root &&
         a.op == b.op && a.elem_size == b.elem_size && a.chunk_bytes == b.chunk_bytes &&
         a.channels == b.channels && a.in_place == b.in_place && a.has_output == b.has_output &&
         a.ranks_per_node == b.ranks_per_node && a.has_reducing_switch == b.has_reducing_switch;
}

std::vector<RankProgram> Generate(const Algorithm& algo, const CollArgs& args) {
  std::vector<RankProgram> programs(static_cast<size_t>(args.nranks));
  for (Rank r = 0; r < args.nranks; ++r) {
    Status st = algo.generate(ArgsForRank(args, r), r, &programs[r]);
    EXPECT_TRUE(st.ok()) << algo.name << " rank " << r << ": " << st.message();
  }
  return programs;
}

TEST(PlanCodec, RoundTripsEveryGenerator) {
  ASSERT_FALSE(Algorithms().empty());
  const Collective colls[] = {Collective::kAllReduce, Collective::kAllGather, Collective::kReduceScatter,
                              Collective::kAllToAll,  Collective::kBroadcast, Collective::kReduce};
  int round_trips = 0;
  std::set<std::string> covered;
  for (Collective coll : colls) {
    for (int n : {1, 2, 3, 5, 8}) {
      for (Count count : {Count{0}, Count{7}, Count{1000}, (Count{1} << 33) + 5}) {
        for (int channels : {1, 2}) {
          for (bool in_place : {false, true}) {
           for (bool hints : {false, true}) {
            CollArgs args;
            args.coll = coll;
            args.nranks = n;
            args.count = count;
            args.root = n - 1;
            args.op = ReduceOp::kAvg;
            args.elem_size = 2;
            // The huge call goes in 1 GiB chunks: its 64-bit offsets are the point, and the
            // generators' default pieces (512 KiB) would make one-shot's programs minutes long
            // under the sanitizers.
            args.chunk_bytes = count == 1000 ? 256 : count > 1000 ? Bytes{1} << 30 : 0;
            args.channels = channels;
            args.in_place = in_place;
            // The topology hints bring in the generators that need them (hierarchical, switch).
            args.ranks_per_node = hints && n % 2 == 0 ? 2 : 0;
            args.has_reducing_switch = hints;
            for (const Algorithm* algo : ApplicableAlgorithms(args)) {
              SCOPED_TRACE(std::string(algo->name) + " " + Name(coll) + " n=" + std::to_string(n) +
                           " count=" + std::to_string(count) + " channels=" + std::to_string(channels) +
                           " in_place=" + std::to_string(in_place) + " hints=" + std::to_string(hints));
              std::vector<RankProgram> programs = Generate(*algo, args);
              PlanHeader header{algo->name, args};
              std::string text;
              Status st = EncodePlan(programs, header, &text);
              ASSERT_TRUE(st.ok()) << st.message();
              PlanHeader header2;
              std::vector<RankProgram> programs2;
              st = DecodePlan(text, &header2, &programs2);
              ASSERT_TRUE(st.ok()) << st.message() << "\n" << text;
              EXPECT_EQ(header2.algorithm, algo->name);
              EXPECT_TRUE(SameArgs(header2.args, args));
              EXPECT_EQ(Diff(programs, programs2), "");
              std::string text2;
              st = EncodePlan(programs2, header2, &text2);
              ASSERT_TRUE(st.ok()) << st.message();
              EXPECT_EQ(text, text2);
              // The decoded plan is still a correct schedule.
              if (count <= 1000) {
                Status v = VerifySchedule(header2.args, programs2);
                EXPECT_TRUE(v.ok()) << v.message();
              }
              ++round_trips;
              covered.insert(algo->name);
            }
           }
          }
        }
      }
    }
  }
  // Every collective above has at least one generator; a registry that lost them all must fail.
  EXPECT_GE(round_trips, 6 * 5 * 4 * 2 * 2 * 2);
  for (const Algorithm& a : Algorithms()) EXPECT_EQ(covered.count(a.name), 1u) << a.name << " was never round-tripped";
}

// A small valid plan to break: two ranks exchanging one element each way.
std::string ValidPlan() {
  return "chorus-plan 1\n"
         "algorithm hand-made\n"
         "collective allgather\n"
         "nranks 2\n"
         "count 1\n"
         "root 0\n"
         "op sum\n"
         "elem-size 4\n"
         "chunk-bytes 0\n"
         "channels 1\n"
         "in-place false\n"
         "has-output true\n"
         "ranks-per-node 0\n"
         "reducing-switch false\n"
         "# rank 0\n"
         "rank 0 scratch=0 channels=1\n"
         "rank 0 channel 0: copy src=in[0+1] dst=out[0+1]\n"
         "rank 0 channel 0: send peer=1 src=in[0+1]\n"
         "rank 0 channel 0: recv peer=1 dst=out[1+1]\n"
         "\n"
         "rank 1 scratch=0 channels=1\n"
         "rank 1 channel 0: copy src=in[0+1] dst=out[1+1]\n"
         "rank 1 channel 0: send peer=0 src=in[0+1]\n"
         "rank 1 channel 0: recv peer=0 dst=out[0+1]\n"
         "end\n";
}

// Replaces the first occurrence of `from` (which must exist) in the valid plan.
std::string Broken(const std::string& from, const std::string& to) {
  std::string t = ValidPlan();
  size_t at = t.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) t.replace(at, from.size(), to);
  return t;
}

TEST(PlanCodec, HandWrittenPlanDecodesAndVerifies) {
  PlanHeader h;
  std::vector<RankProgram> p;
  Status st = DecodePlan(ValidPlan(), &h, &p);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(h.algorithm, "hand-made");
  EXPECT_EQ(h.args.coll, Collective::kAllGather);
  ASSERT_EQ(p.size(), 2u);
  ASSERT_EQ(p[1].channels[0].steps.size(), 3u);
  const Step& s = p[1].channels[0].steps[2];
  EXPECT_EQ(s.op, OpCode::kRecv);
  EXPECT_EQ(s.peer, 0);
  EXPECT_EQ(s.send_peer, -1);
  EXPECT_EQ(s.dst.buffer, Buffer::kOutput);
  EXPECT_EQ(s.dst.offset, 0u);
  EXPECT_EQ(s.dst.count, 1u);
  Status v = VerifySchedule(h.args, p);
  EXPECT_TRUE(v.ok()) << v.message();
  // No trailing newline, CRLF line ends and tabs are fine too.
  std::string crlf;
  for (char c : ValidPlan()) {
    if (c == '\n') crlf += '\r';
    crlf += c == ' ' ? '\t' : c;
  }
  crlf.pop_back();
  st = DecodePlan(crlf, &h, &p);
  EXPECT_TRUE(st.ok()) << st.message();
}

struct Malformed {
  const char* name;
  std::string text;
  std::string error;  // a substring the message must contain
};

TEST(PlanCodec, RejectsMalformedPlans) {
  const std::string two_kb(2048, 'x');
  const std::vector<Malformed> cases = {
      {"empty", "", "plan line 1: the plan ends before its header is complete (missing 'chorus-plan')"},
      {"not a plan", "hello world\n", "plan line 1: not a Chorus plan"},
      {"version", Broken("chorus-plan 1", "chorus-plan 2"), "plan line 1: unsupported plan version '2'"},
      {"key order", Broken("nranks 2\ncount 1", "count 1\nnranks 2"),
       "plan line 4: header key 'count' out of order or repeated (expected 'nranks')"},
      {"unknown key", Broken("root 0", "rooot 0"), "plan line 6: expected header key 'root', found 'rooot'"},
      {"extra value", Broken("op sum", "op sum max"), "plan line 7: 'op' takes exactly one value"},
      {"collective", Broken("allgather", "allgathr"), "plan line 3: unknown collective 'allgathr'"},
      {"op", Broken("op sum", "op mean"), "plan line 7: unknown reduction op 'mean'"},
      {"nranks zero", Broken("nranks 2", "nranks 0"), "plan line 4: nranks '0' is out of range [1, 65536]"},
      {"nranks huge", Broken("nranks 2", "nranks 65537"), "plan line 4: nranks '65537' is out of range [1, 65536]"},
      {"nranks overflow", Broken("nranks 2", "nranks 99999999999999999999999"),
       "plan line 4: nranks '99999999999999999999999' is out of range [1, 65536]"},
      {"negative", Broken("nranks 2", "nranks -2"), "plan line 4: nranks '-2' is not a decimal number"},
      {"leading zero", Broken("count 1", "count 01"), "plan line 5: count '01' has a leading zero"},
      {"count too big", Broken("count 1", "count 281474976710655"),
       "plan line 5: count 281474976710655 makes a buffer larger than 281474976710656 elements with 2 ranks"},
      {"root", Broken("root 0", "root 2"), "plan line 6: root 2 is out of range [0, 1]"},
      {"elem-size", Broken("elem-size 4", "elem-size 0"), "plan line 8: elem-size '0' is out of range [1, 64]"},
      {"channels", Broken("channels 1", "channels 1025"), "plan line 10: channels '1025' is out of range [1, 1024]"},
      {"bool", Broken("in-place false", "in-place no"), "plan line 11: in-place 'no' is neither 'true' nor 'false'"},
      {"ranks per node", Broken("ranks-per-node 0", "ranks-per-node 3"), "plan line 13: ranks-per-node 3 is out of range [0, 2]"},
      {"switch", Broken("reducing-switch false", "reducing-switch 1"),
       "plan line 14: reducing-switch '1' is neither 'true' nor 'false'"},
      {"algorithm chars", Broken("hand-made", "hand/made"),
       "plan line 2: algorithm name 'hand/made' has a character outside [A-Za-z0-9_.+-]"},
      {"algorithm long", Broken("hand-made", two_kb), "plan line 2: algorithm name longer than 64 characters"},
      {"rank order", Broken("rank 0 scratch=0 channels=1", "rank 1 scratch=0 channels=1"),
       "plan line 16: rank 1 out of order (expected rank 0)"},
      {"rank line", Broken("rank 0 scratch=0 channels=1", "rank 0 channels=1"),
       "plan line 16: expected 'rank R scratch=S channels=C'"},
      {"scratch", Broken("rank 0 scratch=0", "rank 0 scratch=281474976710657"),
       "plan line 16: scratch '281474976710657' is out of range [0, 281474976710656]"},
      {"rank channels", Broken("rank 0 scratch=0 channels=1", "rank 0 scratch=0 channels=5000"),
       "plan line 16: channels '5000' is out of range [0, 1024]"},
      {"step rank", Broken("rank 0 channel 0: send", "rank 1 channel 0: send"),
       "plan line 18: step of rank 1 inside rank 0's program"},
      {"step channel", Broken("rank 0 channel 0: send", "rank 0 channel 1: send"),
       "plan line 18: channel 1 but rank 0 has 1 channel(s)"},
      {"step colon", Broken("rank 0 channel 0: send", "rank 0 channel 0 send"),
       "plan line 18: expected 'rank R channel C: OP ...'"},
      {"opcode", Broken("send peer=1", "sned peer=1"), "plan line 18: unknown opcode 'sned'"},
      {"peer range", Broken("send peer=1", "send peer=2"), "plan line 18: peer 2 is out of range [0, 1]"},
      {"send peer range", Broken("send peer=1", "recv-copy-send peer=1 ->7"),
       "plan line 18: send peer 7 is out of range [0, 1]"},
      {"field order", Broken("send peer=1 src=in[0+1]", "send src=in[0+1] peer=1"),
       "plan line 18: step field 'peer=1' repeated or out of order"},
      {"field repeated", Broken("send peer=1 src=in[0+1]", "send peer=1 src=in[0+1] src=in[0+1]"),
       "plan line 18: step field 'src=in[0+1]' repeated or out of order"},
      {"unknown field", Broken("send peer=1", "send peer=1 fast"), "plan line 18: unknown step field 'fast'"},
      {"buffer", Broken("src=in[0+1]", "src=inp[0+1]"), "plan line 17: src names unknown buffer 'inp'"},
      {"slice syntax", Broken("src=in[0+1]", "src=in[0,1]"), "plan line 17: src 'in[0,1]' is not BUF[OFFSET+COUNT]"},
      {"slice wraps", Broken("src=in[0+1]", "src=in[18446744073709551615+1]"),
       "plan line 17: offset '18446744073709551615' is out of range [0, 281474976710656]"},
      {"slice end", Broken("src=in[0+1]", "src=in[281474976710656+1]"),
       "plan line 17: src [281474976710656+1] ends beyond 281474976710656 elements"},
      {"flag", Broken("send peer=1", "send peer=1 flag=4294967296"),
       "plan line 18: flag '4294967296' is out of range [0, 4294967295]"},
      {"step before rank", Broken("rank 0 scratch=0 channels=1\n", ""), "plan line 16: step before the first rank line"},
      {"too few ranks", Broken("rank 1 scratch=0 channels=1\n", "end\n"), "plan line 21: 'end' after 1 of 2 ranks"},
      {"too many ranks", Broken("end\n", "rank 2 scratch=0 channels=0\nend\n"),
       "plan line 25: rank 2 is beyond nranks 2"},
      {"truncated", ValidPlan().substr(0, ValidPlan().size() - 4), "plan line 25: the plan is truncated (no 'end' line)"},
      {"after end", ValidPlan() + "rank 0 scratch=0 channels=1\n", "plan line 26: content after 'end'"},
      {"end args", Broken("\nend\n", "\nend now\n"), "plan line 25: 'end' takes no arguments"},
      {"junk line", Broken("\n\n", "\nhello\n"), "plan line 20: expected 'rank' or 'end', found 'hello'"},
      {"control bytes", Broken("allgather", std::string("all\x01gather")), "unknown collective 'all\\x01gather'"},
  };
  for (const Malformed& m : cases) {
    PlanHeader h;
    h.algorithm = "untouched";
    std::vector<RankProgram> p(3);
    Status st = DecodePlan(m.text, &h, &p);
    EXPECT_FALSE(st.ok()) << m.name;
    EXPECT_EQ(st.code(), chorusInvalidArgument) << m.name;
    EXPECT_NE(st.message().find(m.error), std::string::npos)
        << m.name << ": got \"" << st.message() << "\", want \"" << m.error << "\"";
    // Outputs are only written on success.
    EXPECT_EQ(h.algorithm, "untouched") << m.name;
    EXPECT_EQ(p.size(), 3u) << m.name;
  }
}

TEST(PlanCodec, CapsTotalChannels) {
  // 1025 ranks x 1024 channels exceeds the 2^20 channel cap on rank 1024's line (line 15 + 1024).
  std::ostringstream t;
  t << "chorus-plan 1\nalgorithm x\ncollective allreduce\nnranks 1025\ncount 0\nroot 0\nop sum\n"
       "elem-size 4\nchunk-bytes 0\nchannels 1\nin-place false\nhas-output true\nranks-per-node 0\n"
       "reducing-switch false\n";
  for (int r = 0; r < 1025; ++r) t << "rank " << r << " scratch=0 channels=1024\n";
  t << "end\n";
  PlanHeader h;
  std::vector<RankProgram> p;
  Status st = DecodePlan(t.str(), &h, &p);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("plan line 1039: more than 1048576 channels in all"), std::string::npos)
      << st.message();
}

TEST(PlanCodec, EncodeRejectsWhatDecodeWould) {
  CollArgs args;
  args.nranks = 2;
  args.count = 4;
  std::vector<RankProgram> programs(2);
  for (int r = 0; r < 2; ++r) {
    programs[r].rank = r;
    programs[r].nranks = 2;
    programs[r].channels.resize(1);
  }
  std::string text;
  ASSERT_TRUE(EncodePlan(programs, {"x", args}, &text).ok());
  EXPECT_FALSE(EncodePlan(programs, {"", args}, &text).ok());
  EXPECT_FALSE(EncodePlan(programs, {"a b", args}, &text).ok());
  auto bad = programs;
  bad[1].rank = 0;
  EXPECT_FALSE(EncodePlan(bad, {"x", args}, &text).ok());
  bad = programs;
  bad.pop_back();
  EXPECT_FALSE(EncodePlan(bad, {"x", args}, &text).ok());
  bad = programs;
  Step s;
  s.op = OpCode::kSend;
  s.peer = 2;
  bad[0].channels[0].steps.push_back(s);
  Status st = EncodePlan(bad, {"x", args}, &text);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("rank 0: channel 0 step 0: peer 2 is out of range [0, 1]"), std::string::npos)
      << st.message();
  bad = programs;
  s.peer = 1;
  s.src = {Buffer::kInput, ~Count{0}, 2};  // offset + count wraps
  bad[0].channels[0].steps.push_back(s);
  EXPECT_FALSE(EncodePlan(bad, {"x", args}, &text).ok());
  bad = programs;
  s.src = {static_cast<Buffer>(7), 0, 1};
  bad[0].channels[0].steps.push_back(s);
  EXPECT_FALSE(EncodePlan(bad, {"x", args}, &text).ok());
  CollArgs wide = args;
  wide.coll = Collective::kAllToAll;
  wide.count = kMaxPlanElems / 2 + 1;  // count * nranks is beyond the cap
  EXPECT_FALSE(EncodePlan(programs, {"x", wide}, &text).ok());
}

}  // namespace
}  // namespace chorus::sched
