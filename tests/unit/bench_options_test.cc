// chorus-bench's command line: sizes with suffixes, the sweep, nccl-tests' flags, and the
// arguments a coordinator hands to its workers.
#if __has_include("chorus-bench/options.h")
#include "chorus-bench/options.h"

#include <gtest/gtest.h>

#include "chorus-bench/cases.h"
#include "chorus-bench/sizes.h"

namespace chorus::bench {
namespace {

ParseOutcome Parse(std::vector<std::string> args, Options* o, Program p = Program::kChorus) {
  args.insert(args.begin(), "chorus-bench");
  return ParseOptions(p, args, o);
}

TEST(BenchSizes, ParseBytes) {
  EXPECT_EQ(ParseBytes("8"), 8u);
  EXPECT_EQ(ParseBytes("0"), 0u);
  EXPECT_EQ(ParseBytes("1K"), 1024u);
  EXPECT_EQ(ParseBytes("64k"), 65536u);
  EXPECT_EQ(ParseBytes("256M"), 256u << 20);
  EXPECT_EQ(ParseBytes("1G"), 1u << 30);
  EXPECT_EQ(ParseBytes("2MiB"), 2u << 20);
  EXPECT_EQ(ParseBytes("4KB"), 4096u);
  EXPECT_EQ(ParseBytes("3b"), 3u);
  EXPECT_EQ(ParseBytes("1T"), std::size_t{1} << 40);
  for (const char* bad : {"", "M", "-1", "1.5M", "1X", "1MM", "1Mx", " 1", "99999999999999999999999"}) {
    EXPECT_FALSE(ParseBytes(bad).has_value()) << bad;
  }
  EXPECT_FALSE(ParseBytes("17179869184G").has_value());  // overflows 64 bits
}

TEST(BenchSizes, FormatBytesReadsBack) {
  for (std::size_t v : {std::size_t{0}, std::size_t{8}, std::size_t{1000}, std::size_t{1024}, std::size_t{1536},
                        std::size_t{256} << 20, std::size_t{3} << 30}) {
    EXPECT_EQ(ParseBytes(FormatBytes(v)), v) << FormatBytes(v);
  }
  EXPECT_EQ(FormatBytes(256u << 20), "256M");
  EXPECT_EQ(HumanBytes(256.0 * (1 << 20)), "256 MiB");
  EXPECT_EQ(HumanBytes(1536), "1.5 KiB");
}

TEST(BenchSizes, Sweep) {
  Sweep s;
  s.min_bytes = 8;
  s.max_bytes = 256u << 20;
  s.step_factor = 2;
  const auto v = SizeSweep(s);
  ASSERT_EQ(v.size(), 26u);  // 8 B .. 256 MiB, as nccl-tests' -b 8 -e 256M -f 2
  EXPECT_EQ(v.front(), 8u);
  EXPECT_EQ(v.back(), 256u << 20);
  s.min_bytes = 100;
  s.max_bytes = 1000;
  s.step_factor = 3;
  EXPECT_EQ(SizeSweep(s), (std::vector<std::size_t>{100, 300, 900}));
  s.step_bytes = 400;
  EXPECT_EQ(SizeSweep(s), (std::vector<std::size_t>{100, 500, 900}));
  s.min_bytes = 0;
  s.step_bytes = 0;
  EXPECT_TRUE(SizeSweep(s).empty());  // a factor never leaves 0
  s.min_bytes = 2000;
  EXPECT_TRUE(SizeSweep(s).empty());
  s.min_bytes = 1;
  s.max_bytes = SIZE_MAX;
  s.step_factor = 2;
  EXPECT_EQ(SizeSweep(s).size(), 64u);  // stops before overflowing
}

TEST(BenchSizes, ShapesCountAsNcclTests) {
  // all-gather / reduce-scatter: size = nranks * per-rank count * element size.
  Shape ag = ShapeFor(Coll::kAllGather, 1024, 4, 4);
  EXPECT_EQ(ag.count, 64u);
  EXPECT_EQ(ag.send_elems, 64u);
  EXPECT_EQ(ag.recv_elems, 256u);
  EXPECT_EQ(ag.bytes, 1024u);
  Shape rs = ShapeFor(Coll::kReduceScatter, 1000, 4, 3);  // 250 elements, 83 per rank
  EXPECT_EQ(rs.count, 83u);
  EXPECT_EQ(rs.send_elems, 249u);
  EXPECT_EQ(rs.recv_elems, 83u);
  EXPECT_EQ(rs.bytes, 996u);
  Shape a2a = ShapeFor(Coll::kAllToAll, 4096, 8, 2);  // total each rank sends
  EXPECT_EQ(a2a.count, 256u);
  EXPECT_EQ(a2a.send_elems, 512u);
  EXPECT_EQ(a2a.recv_elems, 512u);
  EXPECT_EQ(a2a.bytes, 4096u);
  Shape ar = ShapeFor(Coll::kAllReduce, 10, 4, 4);
  EXPECT_EQ(ar.count, 2u);
  EXPECT_EQ(ar.bytes, 8u);
  EXPECT_EQ(ShapeFor(Coll::kAllGather, 8, 4, 4).count, 0u);  // too small to split: a zero row
}

TEST(BenchSizes, BusBandwidthFactors) {
  EXPECT_DOUBLE_EQ(BusBwFactor(Coll::kAllReduce, 4), 1.5);
  EXPECT_DOUBLE_EQ(BusBwFactor(Coll::kAllReduce, 2), 1.0);
  EXPECT_DOUBLE_EQ(BusBwFactor(Coll::kAllReduce, 1), 0.0);
  for (Coll c : {Coll::kAllGather, Coll::kReduceScatter, Coll::kAllToAll}) {
    EXPECT_DOUBLE_EQ(BusBwFactor(c, 4), 0.75) << Name(c);
    EXPECT_DOUBLE_EQ(BusBwFactor(c, 8), 0.875) << Name(c);
  }
  for (Coll c : {Coll::kBroadcast, Coll::kReduce, Coll::kSendRecv}) EXPECT_DOUBLE_EQ(BusBwFactor(c, 4), 1.0);
}

TEST(BenchOptions, TheReadmeCommand) {
  Options o;
  const ParseOutcome p = Parse({"allreduce", "--ranks", "4", "-b", "8", "-e", "256M", "-f", "2", "-c", "1"}, &o);
  ASSERT_TRUE(p.ok) << p.message;
  EXPECT_EQ(o.coll, Coll::kAllReduce);
  EXPECT_EQ(o.ranks, 4);
  EXPECT_EQ(o.sweep.min_bytes, 8u);
  EXPECT_EQ(o.sweep.max_bytes, 256u << 20);
  EXPECT_EQ(o.sweep.step_factor, 2u);
  EXPECT_EQ(o.check, 1);
  EXPECT_EQ(SizeSweep(o.sweep).size(), 26u);
}

TEST(BenchOptions, Defaults) {
  Options o;
  ASSERT_TRUE(Parse({"allgather"}, &o).ok);
  EXPECT_EQ(o.coll, Coll::kAllGather);
  EXPECT_EQ(o.sweep.min_bytes, 8u);
  EXPECT_EQ(o.sweep.max_bytes, 32u << 20);
  EXPECT_EQ(o.iters, 20);
  EXPECT_EQ(o.warmup, 5);
  EXPECT_EQ(o.check, 1);
  EXPECT_EQ(o.average, Average::kMean);
  EXPECT_EQ(o.batches, 1);
  EXPECT_EQ(o.rounds, 1);
  EXPECT_EQ(o.dtypes, std::vector<DType>{DType::kFloat32});
  EXPECT_EQ(o.ops, std::vector<Op>{Op::kSum});
  EXPECT_TRUE(o.algos.empty());
  EXPECT_TRUE(o.baselines.empty());
}

TEST(BenchOptions, LongFormsListsAndAll) {
  Options o;
  const ParseOutcome p = Parse({"reduce_scatter", "--minbytes=1K", "--maxbytes", "1M", "--stepbytes", "64K",
                                "--iters", "3", "--warmup_iters", "0", "--op", "all", "--datatype", "half,bf16,int8",
                                "--root", "1", "--blocking", "1", "--average", "3", "--threads", "3"},
                               &o);
  ASSERT_TRUE(p.ok) << p.message;
  EXPECT_EQ(o.coll, Coll::kReduceScatter);
  EXPECT_EQ(o.sweep.step_bytes, 64u << 10);
  EXPECT_EQ(o.ops.size(), 5u);
  EXPECT_EQ(o.dtypes, (std::vector<DType>{DType::kFloat16, DType::kBfloat16, DType::kInt8}));
  EXPECT_EQ(o.average, Average::kMax);
  EXPECT_EQ(o.threads, 3);
  EXPECT_EQ(o.blocking, 1);
  ASSERT_TRUE(Parse({"allreduce", "-d", "all", "--algo", "all"}, &o).ok);
  EXPECT_EQ(o.dtypes.size(), 12u);
  EXPECT_EQ(o.algos, DefaultAlgoList());
  ASSERT_TRUE(Parse({"allreduce", "--algo", "all", "--algo-list", "ring,chain"}, &o).ok);
  EXPECT_EQ(o.algos, (std::vector<std::string>{"ring", "chain"}));
  ASSERT_TRUE(Parse({"allreduce", "--baseline", "mpi,gloo:all", "--json", "x.json"}, &o).ok);
  EXPECT_EQ(o.baselines, (std::vector<std::string>{"mpi", "gloo:all"}));
  EXPECT_EQ(o.json_path, "x.json");
  ASSERT_TRUE(Parse({"alltoall", "--baseline", "floor,mpi"}, &o).ok);
  EXPECT_EQ(o.baselines, (std::vector<std::string>{"floor", "mpi"}));
  EXPECT_TRUE(o.floor_worker.empty());
  ASSERT_TRUE(Parse({"alltoall", "--baseline", "floor:all"}, &o).ok);
  std::string impl, err;
  std::vector<std::string> variants;
  ASSERT_TRUE(ParseBaseline("floor:all", &impl, &variants, &err)) << err;
  EXPECT_EQ(impl, "floor");
  EXPECT_EQ(variants, (std::vector<std::string>{"", "serial"}));
}

TEST(BenchOptions, FloorWorkersAreToldSo) {
  Options o;
  ASSERT_TRUE(Parse({"alltoall", "-b", "1K", "-e", "4K", "--ranks", "2"}, &o).ok);
  for (const char* floor : {"", "concurrent", "serial"}) {
    o.floor_worker = floor;
    std::vector<std::string> args = WorkerArgs(o);
    args.insert(args.begin(), "chorus-bench");
    args.insert(args.end(), {"--worker-dir", "/tmp/d", "--worker-group", "g0"});  // as the launcher adds
    Options w;
    const ParseOutcome p = ParseOptions(Program::kChorus, args, &w);
    ASSERT_TRUE(p.ok) << p.message;
    EXPECT_EQ(w.floor_worker, floor);
  }
}

TEST(BenchOptions, Rejections) {
  const std::vector<std::vector<std::string>> bad = {
      {},                                        // no collective
      {"allsum"},                                // unknown collective
      {"allreduce", "-b", "1X"},                 // bad size
      {"allreduce", "-b", "1M", "-e", "1K"},     // min > max
      {"allreduce", "-f", "2", "-i", "1K"},      // factor and step exclude each other
      {"allreduce", "-f", "1"},                  // factor that never advances
      {"allreduce", "-b", "0"},                  // 0 with a factor
      {"allreduce", "-n", "0"},                  //
      {"allreduce", "-w", "-1"},                 //
      {"allreduce", "-c", "2"},                  //
      {"allreduce", "-a", "4"},                  //
      {"allreduce", "--batches", "0"},           //
      {"allreduce", "--rounds", "0"},            //
      {"allreduce", "-n", "5", "--batches", "6"},  // more batches than iterations
      {"allreduce", "-o", "xor"},                //
      {"allreduce", "-d", "float128"},           //
      {"allreduce", "-g", "2"},                  // one device per rank
      {"allreduce", "--ranks", "2", "--threads", "2"},
      {"allreduce", "--baseline", "nccl"},       //
      {"allreduce", "--baseline", "gloo:bcube"}, //
      {"allreduce", "--baseline", "floor:ring"}, // the floor's variants: serial, all
      {"allreduce", "--floor-worker", "sometimes"},
      {"allreduce", "--ranks", "2", "--floor-worker", "serial"},  // internal: workers only
      {"allreduce", "--algo-list", "ring"},      // without --algo all
      {"allreduce", "--frobnicate"},             //
  };
  for (const auto& args : bad) {
    Options o;
    const ParseOutcome p = Parse(args, &o);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_FALSE(p.ok) << joined;
    EXPECT_FALSE(p.message.empty()) << joined;
  }
  Options o;
  EXPECT_FALSE(Parse({"allreduce", "--ranks", "2"}, &o, Program::kMpi).ok);  // chorus-bench only
}

TEST(BenchOptions, HelpExitsCleanly) {
  Options o;
  const ParseOutcome p = Parse({"--help"}, &o);
  EXPECT_TRUE(p.exit_now);
  EXPECT_EQ(p.exit_code, 0);
  EXPECT_NE(p.message.find("--maxbytes"), std::string::npos);
}

TEST(BenchOptions, WorkersBuildTheSameCases) {
  Options o;
  ASSERT_TRUE(Parse({"allreduce", "-b", "12", "-e", "3000", "-f", "3", "-d", "half,int32", "-o", "min,avg", "-n", "7",
                     "-w", "2", "-a", "2", "-r", "1", "--ranks", "4", "--baseline", "mpi", "--batches", "3"},
                    &o)
                  .ok);
  std::vector<std::string> args = WorkerArgs(o);
  args.insert(args.begin(), "chorus-bench-mpi");
  Options w;
  const ParseOutcome p = ParseOptions(Program::kMpi, args, &w);
  ASSERT_TRUE(p.ok) << p.message;
  EXPECT_EQ(w.iters, 7);
  EXPECT_EQ(w.warmup, 2);
  EXPECT_EQ(w.average, Average::kMin);
  EXPECT_EQ(w.batches, 3);
  const auto a = MakeCases(o.coll, o.dtypes, o.ops, o.root, SizeSweep(o.sweep), 4);
  const auto b = MakeCases(w.coll, w.dtypes, w.ops, w.root, SizeSweep(w.sweep), 4);
  ASSERT_EQ(a.size(), b.size());
  ASSERT_EQ(a.size(), 2u * 2u * 6u);
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(Describe(a[i]), Describe(b[i]));
    EXPECT_EQ(a[i].shape.count, b[i].shape.count);
  }
}

TEST(BenchOptions, CasesOrderAndColumns) {
  const auto cases = MakeCases(Coll::kAllGather, {DType::kFloat32}, {Op::kSum, Op::kMax}, 2, {8, 16}, 2);
  ASSERT_EQ(cases.size(), 2u);  // no op loop for a collective that does not reduce
  EXPECT_STREQ(OpColumn(cases[0]), "none");
  EXPECT_EQ(RootColumn(cases[0]), -1);
  const auto red = MakeCases(Coll::kReduce, {DType::kInt8, DType::kFloat32}, {Op::kSum, Op::kMax}, 1, {8, 16}, 2);
  ASSERT_EQ(red.size(), 8u);
  EXPECT_EQ(red[0].dtype, DType::kInt8);  // types outermost, then ops, then sizes
  EXPECT_EQ(red[1].requested_bytes, 16u);
  EXPECT_EQ(red[2].op, Op::kMax);
  EXPECT_EQ(RootColumn(red[0]), 1);
  EXPECT_EQ(red[7].index, 7);
}

TEST(BenchVocab, NamesParseBack) {
  for (DType t : AllDTypes()) EXPECT_EQ(ParseDType(Name(t)), t);
  for (Op o : AllOps()) EXPECT_EQ(ParseOp(Name(o)), o);
  for (Coll c : AllColls()) EXPECT_EQ(ParseColl(Name(c)), c);
  EXPECT_EQ(ParseColl("all_reduce"), Coll::kAllReduce);
  EXPECT_EQ(ParseColl("All-To-All"), Coll::kAllToAll);
  EXPECT_EQ(ParseDType("fp16"), DType::kFloat16);
  EXPECT_EQ(ParseDType("e5m2"), DType::kF8e5m2);
  EXPECT_FALSE(ParseDType("fp128").has_value());
}

}  // namespace
}  // namespace chorus::bench
#else
#include <gtest/gtest.h>
TEST(BenchOptions, NotBuilt) { GTEST_SKIP() << "chorus-bench is not built (CLI11 or nlohmann-json missing)"; }
#endif
