// chorus-bench's results: combining ranks, the worker protocol, the nccl-tests table layout, and
// the JSON and CSV files.
#if __has_include("chorus-bench/report.h")
#include "chorus-bench/report.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "chorus-bench/export.h"
#include "chorus-bench/protocol.h"
#include "chorus-bench/table.h"

namespace chorus::bench {
namespace {

Case OneCase(int index = 0, std::size_t bytes = 1 << 20) {
  Case c = MakeCases(Coll::kAllReduce, {DType::kFloat32}, {Op::kSum}, 0, {bytes}, 4).front();
  c.index = index;
  return c;
}

RankResult Result(int rank, double t_oop, double t_ip, int64_t wrong = 0) {
  RankResult r;
  r.rank = rank;
  r.oop.time_us = t_oop;
  r.oop.wrong = wrong;
  r.ip.time_us = t_ip;
  r.ip.wrong = 0;
  return r;
}

TEST(BenchReport, CombineTimesAsNcclTests) {
  const std::vector<double> t = {4.0, 2.0, 8.0, 6.0};
  EXPECT_DOUBLE_EQ(CombineTimes(t, Average::kRank0), 4.0);
  EXPECT_DOUBLE_EQ(CombineTimes(t, Average::kMean), 5.0);
  EXPECT_DOUBLE_EQ(CombineTimes(t, Average::kMin), 2.0);
  EXPECT_DOUBLE_EQ(CombineTimes(t, Average::kMax), 8.0);
  const Bandwidth bw = ComputeBandwidth(Coll::kAllReduce, 1000000, 1000.0, 4);  // 1 MB in 1 ms
  EXPECT_DOUBLE_EQ(bw.algbw, 1.0);
  EXPECT_DOUBLE_EQ(bw.busbw, 1.5);
  EXPECT_DOUBLE_EQ(GeoMean({2.0, 8.0}), 4.0);
  EXPECT_DOUBLE_EQ(GeoMean({}), 0.0);
}

TEST(BenchReport, CombineRanksSumsWrongAndPrefersErrors) {
  const Case c = OneCase();
  std::vector<RankResult> ranks = {Result(0, 10, 20, 0), Result(1, 30, 40, 3), Result(2, 20, 30, 0),
                                   Result(3, 20, 30, 1)};
  Row row = CombineRanks(c, "chorus", "", ranks, Average::kMax);
  EXPECT_EQ(row.oop.outcome, Outcome::kOk);
  EXPECT_DOUBLE_EQ(row.oop.time_us, 30.0);
  EXPECT_EQ(row.oop.wrong, 4);
  EXPECT_EQ(row.ip.wrong, 0);
  EXPECT_EQ(row.oop.rank_times_us.size(), 4u);
  EXPECT_NEAR(row.oop.busbw, (1 << 20) / 30e-6 / 1e9 * 1.5, 1e-9);
  ranks[2].ip.outcome = Outcome::kUnsupported;
  ranks[1].ip.outcome = Outcome::kError;
  ranks[1].ip.message = "boom";
  row = CombineRanks(c, "chorus", "", ranks, Average::kMean);
  EXPECT_EQ(row.ip.outcome, Outcome::kError);
  EXPECT_EQ(row.ip.message, "boom");
  ranks[0].oop.wrong = -1;  // one rank did not check: no total, but wrong ones still show
  row = CombineRanks(c, "chorus", "", ranks, Average::kMean);
  EXPECT_EQ(row.oop.wrong, 4);
}

TEST(BenchProtocol, RoundTrips) {
  RankResult r = Result(3, 12.5, 13.25, 7);
  r.case_index = 42;
  r.ip.outcome = Outcome::kUnsupported;
  r.ip.message = "no \"half\"\n here";
  RankResult back;
  std::string err;
  ASSERT_TRUE(DecodeResult(EncodeResult(r), &back, &err)) << err;
  EXPECT_EQ(EncodeResult(r).find('\n'), std::string::npos);  // one line
  EXPECT_EQ(back.case_index, 42);
  EXPECT_EQ(back.rank, 3);
  EXPECT_DOUBLE_EQ(back.oop.time_us, 12.5);
  EXPECT_EQ(back.oop.wrong, 7);
  EXPECT_EQ(back.ip.outcome, Outcome::kUnsupported);
  EXPECT_EQ(back.ip.message, r.ip.message);
  ReadyInfo ready{2, 4, 1234, "host", "0.1.0", ""};
  ReadyInfo rb;
  ASSERT_TRUE(DecodeReady(EncodeReady(ready), &rb, &err)) << err;
  EXPECT_EQ(rb.pid, 1234);
  EXPECT_EQ(rb.nranks, 4);
  std::string hex;
  ASSERT_TRUE(DecodeUid(EncodeUid("abcd"), &hex, &err));
  EXPECT_EQ(hex, "abcd");
  EXPECT_TRUE(ParseUidCommand(UidCommand("ff00"), &hex));
  EXPECT_EQ(hex, "ff00");
  for (const char* bad : {"", "{", "[1]", "{\"case\": 1}", "{\"case\":1,\"oop\":{},\"ip\":{}}",
                          "{\"case\":\"x\",\"oop\":{\"outcome\":0},\"ip\":{\"outcome\":0}}"}) {
    EXPECT_FALSE(DecodeResult(bad, &back, &err)) << bad;
  }
  EXPECT_FALSE(DecodeReady("{\"case\":1}", &rb, &err));
  EXPECT_EQ(ParseCommand("case 17"), 17);
  EXPECT_EQ(ParseCommand("quit"), -1);
  EXPECT_EQ(ParseCommand("case -1"), -2);
  EXPECT_EQ(ParseCommand("case 1x"), -2);
  EXPECT_EQ(ParseCommand("cases 1"), -2);
}

TEST(BenchTable, NumberFormatMatchesNcclTests) {
  EXPECT_EQ(FormatNumber(0.0, 6), "  0.00");
  EXPECT_EQ(FormatNumber(1.234, 6), "  1.23");
  EXPECT_EQ(FormatNumber(123.456, 6), "123.46");
  EXPECT_EQ(FormatNumber(1234.5, 6), "1234.5");
  EXPECT_EQ(FormatNumber(12345.6, 6), " 12346");
  EXPECT_EQ(FormatNumber(123456.0, 6), "123456");
  EXPECT_EQ(FormatNumber(12345678.0, 6), "1.2e+07");
  EXPECT_EQ(FormatNumber(9.44, 7), "   9.44");
  EXPECT_EQ(FormatNumber(12345.0, 7), "12345.0");
  EXPECT_EQ(FormatNumber(123456.0, 7), " 123456");
  EXPECT_EQ(FormatRatio(1.5), "  1.50");
  EXPECT_EQ(FormatRatio(0.0034), "0.0034");
  EXPECT_EQ(FormatRatio(0.00003), " 3e-05");
}

// Column start offsets of whitespace-separated fields.
std::vector<std::size_t> FieldEnds(const std::string& line) {
  std::vector<std::size_t> ends;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] != ' ' && (i + 1 == line.size() || line[i + 1] == ' ')) ends.push_back(i);
  }
  return ends;
}

TEST(BenchTable, RowsLineUpWithTheHeader) {
  const Case c = OneCase();
  std::vector<RankResult> ranks = {Result(0, 10, 20), Result(1, 10, 20), Result(2, 10, 20), Result(3, 10, 20)};
  const Row row = CombineRanks(c, "chorus", "ring", ranks, Average::kMean);
  Row base = CombineRanks(c, "mpi", "", {Result(0, 40, 40), Result(1, 40, 40), Result(2, 40, 40), Result(3, 40, 40)},
                          Average::kMean);
  TableLayout layout;
  layout.show_variant = true;
  layout.baselines = {"mpi"};
  std::istringstream header(TableHeader(layout));
  std::string l1, l2, l3;
  std::getline(header, l1);
  std::getline(header, l2);
  std::getline(header, l3);
  const std::string line = TableRow(row, {&base}, layout);
  // Right-aligned numeric columns end where their header names end (nccl-tests' layout); the algo
  // column is left-aligned, so compare every field but that one.
  auto h = FieldEnds(l2.substr(1));
  auto r = FieldEnds(line.substr(1));
  ASSERT_EQ(h.size(), r.size()) << l2 << "\n" << line;
  for (std::size_t i = 0; i < h.size(); ++i) {
    if (i == 13) continue;
    EXPECT_EQ(h[i], r[i]) << "column " << i << "\n" << l2 << "\n" << line;
  }
  EXPECT_NE(line.find("ring"), std::string::npos);
  EXPECT_NE(line.find("  4.00"), std::string::npos);  // mpi takes 4x as long
  base.oop.wrong = 3;  // no ratio against a wrong result
  const std::string bad = TableRow(row, {&base}, layout);
  EXPECT_EQ(bad.find("  4.00"), std::string::npos) << bad;
  EXPECT_NE(bad.find("     3       -"), std::string::npos) << bad;
  // nccl-tests' columns first, in its order.
  EXPECT_EQ(l2.substr(0, 110).find("size"), 8u);
  EXPECT_NE(l2.find("#wrong"), std::string::npos);
}

TEST(BenchTable, UnsupportedAndWrongShow) {
  const Case c = OneCase();
  std::vector<RankResult> ranks = {Result(0, 10, 20, 5), Result(1, 10, 20)};
  ranks[0].ip.outcome = ranks[1].ip.outcome = Outcome::kUnsupported;
  Report rep;
  rep.rows.push_back(CombineRanks(c, "chorus", "", ranks, Average::kMean));
  const std::string line = TableRow(rep.rows[0], {}, TableLayout{});
  EXPECT_NE(line.find("     5"), std::string::npos);
  EXPECT_NE(line.find("n/a"), std::string::npos);
  const std::string footer = TableFooter(rep, {"chorus"}, {});
  EXPECT_NE(footer.find("# Out of bounds values : 5 FAILED"), std::string::npos) << footer;
  EXPECT_NE(footer.find("# Avg bus bandwidth    : "), std::string::npos) << footer;
  rep.rows[0].oop.wrong = 0;
  EXPECT_NE(TableFooter(rep, {"chorus"}, {}).find("# Out of bounds values : 0 OK"), std::string::npos);
}

TEST(BenchExport, JsonAndCsvCarryEverything) {
  Report rep;
  rep.info.command = "chorus-bench allreduce --ranks 4";
  rep.info.collective = "allreduce";
  rep.info.nranks = 4;
  rep.info.launch = "processes";
  rep.info.settings = {{"iters", "20"}};
  rep.info.environment = {{"host", "vm"}, {"cpu", "Some CPU, 2 cores"}};
  rep.info.groups = {{"chorus", "", "0.1.0", false, ""}, {"mpi", "", "Open MPI v4.1.4", true, ""}};
  for (int i = 0; i < 3; ++i) {
    const Case c = OneCase(i, std::size_t{1} << (10 + i));
    std::vector<RankResult> a = {Result(0, 10, 10), Result(1, 10, 10), Result(2, 10, 10), Result(3, 10, 10)};
    std::vector<RankResult> b = {Result(0, 20, 20), Result(1, 20, 20), Result(2, 20, 20), Result(3, 20, 20)};
    rep.rows.push_back(CombineRanks(c, "chorus", "", a, Average::kMean));
    rep.rows.push_back(CombineRanks(c, "mpi", "", b, Average::kMean));
  }
  const auto j = nlohmann::json::parse(ReportToJson(rep));
  EXPECT_EQ(j["command"], rep.info.command);
  EXPECT_EQ(j["environment"]["cpu"], "Some CPU, 2 cores");
  EXPECT_EQ(j["results"].size(), 6u);
  EXPECT_EQ(j["results"][0]["out_of_place"]["wrong"], 0);
  EXPECT_EQ(j["results"][0]["out_of_place"]["rank_times_us"].size(), 4u);
  EXPECT_DOUBLE_EQ(j["ratios_geomean_oop"]["chorus/mpi"].get<double>(), 2.0);
  EXPECT_EQ(j["summary"]["mpi"]["wrong"], 0);
  const std::string csv = ReportToCsv(rep);
  std::istringstream in(csv);
  std::string line;
  int lines = 0;
  std::getline(in, line);
  EXPECT_EQ(line.rfind("collective,label,impl", 0), 0u);
  EXPECT_NE(line.find(",cpu"), std::string::npos);
  while (std::getline(in, line)) {
    ++lines;
    EXPECT_NE(line.find("\"Some CPU, 2 cores\""), std::string::npos);  // quoted: it has a comma
  }
  EXPECT_EQ(lines, 6);
}

}  // namespace
}  // namespace chorus::bench
#else
#include <gtest/gtest.h>
TEST(BenchReport, NotBuilt) { GTEST_SKIP() << "chorus-bench is not built (CLI11 or nlohmann-json missing)"; }
#endif
