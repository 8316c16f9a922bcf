// What a run measured: per-rank results as workers report them, rows as the table shows them, and
// the run's description (command, machine, implementations). Shared by the CLI, the baselines and
// the writers (table, JSON, CSV).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "chorus-bench/cases.h"
#include "chorus-bench/stats.h"

namespace chorus::bench {

enum class Outcome { kOk = 0, kUnsupported = 1, kError = 2 };
const char* Name(Outcome o);

// One placement (out-of-place or in-place) of one case on one rank.
struct RankMeasure {
  Outcome outcome = Outcome::kOk;
  std::string message;
  double time_us = 0.0;
  int64_t wrong = -1;  // -1: not checked
};

// One rank's report for one case (one line of the worker protocol).
struct RankResult {
  int case_index = 0;
  int rank = 0;
  RankMeasure oop;
  RankMeasure ip;
};

// One placement of one case, over all ranks.
struct Measure {
  Outcome outcome = Outcome::kOk;
  std::string message;
  double time_us = 0.0;
  double algbw = 0.0;
  double busbw = 0.0;
  int64_t wrong = -1;  // summed over ranks; -1: not checked
  std::vector<double> rank_times_us;
};

// One implementation's result for one case: a line of the table.
struct Row {
  Case kase;
  std::string impl;     // "chorus", "mpi", "gloo"
  std::string variant;  // algorithm ("ring", ...) or "" for the implementation's own choice
  int nranks = 0;
  Measure oop;
  Measure ip;
  std::string Label() const { return variant.empty() ? impl : impl + "[" + variant + "]"; }
};

// Combines the ranks' reports (indexed by rank) for one case. Errors win over "unsupported", which
// wins over success; #wrong is the sum over ranks.
Row CombineRanks(const Case& c, const std::string& impl, const std::string& variant,
                 const std::vector<RankResult>& ranks, Average how);

// An implementation taking part in a run.
struct GroupInfo {
  std::string impl;
  std::string variant;
  std::string version;
  bool baseline = false;
  std::string note;  // why it was dropped, if it was
  std::string Label() const { return variant.empty() ? impl : impl + "[" + variant + "]"; }
};

struct RunInfo {
  std::string command;
  std::string collective;
  std::string launch;  // "processes", "threads", "external launcher", ...
  int nranks = 0;
  // Ordered key/value pairs: settings (minbytes, iters, ...) and the machine (host, cpu, ...).
  std::vector<std::pair<std::string, std::string>> settings;
  std::vector<std::pair<std::string, std::string>> environment;
  std::vector<GroupInfo> groups;
  std::vector<std::string> rank_lines;  // "#  Rank  0 Group  0 Pid 123 on host device cpu"
};

struct Report {
  RunInfo info;
  std::vector<Row> rows;
};

// Summaries over the rows of one implementation label ("chorus", "chorus[ring]", "mpi").
int64_t TotalWrong(const Report& r, const std::string& label);  // -1 when nothing was checked
double AverageBusBw(const Report& r, const std::string& label);  // over every measured placement
int CountErrors(const Report& r, const std::string& label);
// Geometric mean over cases of other's out-of-place time divided by label's (= label's busbw over
// other's; > 1: label is faster), over cases where both were measured and neither had wrong elements.
double MeanRatio(const Report& r, const std::string& label, const std::string& other);

}  // namespace chorus::bench
