#include "chorus-bench/runinfo.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "chorus-bench/channel.h"
#include "chorus-bench/export.h"
#include "chorus-bench/sysinfo.h"
#include "chorus-bench/table.h"

#ifndef CHORUS_BENCH_SCRIPT_DIR
#define CHORUS_BENCH_SCRIPT_DIR ""
#endif

namespace chorus::bench {
namespace {

// A python3 that can import matplotlib: $CHORUS_BENCH_PYTHON, then the system's, then PATH's.
std::string FindPython() {
  std::vector<std::string> candidates;
  if (const char* p = std::getenv("CHORUS_BENCH_PYTHON"); p != nullptr && *p) candidates.push_back(p);
  candidates.push_back("/usr/bin/python3");
  candidates.push_back("python3");
  for (const std::string& py : candidates) {
    const std::string cmd = ShellJoin({py, "-c", "import matplotlib"}) + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) == 0) return py;
  }
  return "";
}

}  // namespace

RunInfo DescribeRun(const Options& o, int nranks, const std::string& launch) {
  RunInfo info;
  info.command = ShellJoin(o.argv);
  info.collective = Name(o.coll);
  info.launch = launch;
  info.nranks = nranks;
  auto& s = info.settings;
  s.emplace_back("minBytes", std::to_string(o.sweep.min_bytes));
  s.emplace_back("maxBytes", std::to_string(o.sweep.max_bytes));
  if (o.sweep.step_bytes > 0) {
    s.emplace_back("step", std::to_string(o.sweep.step_bytes) + "(bytes)");
  } else {
    s.emplace_back("step", std::to_string(o.sweep.step_factor) + "(factor)");
  }
  s.emplace_back("warmup iters", std::to_string(o.warmup));
  s.emplace_back("iters", std::to_string(o.iters));
  s.emplace_back("validation", std::to_string(o.check));
  s.emplace_back("blocking", std::to_string(o.blocking));
  s.emplace_back("average", std::to_string(static_cast<int>(o.average)));
  s.emplace_back("batches", std::to_string(o.batches));
  s.emplace_back("rounds", std::to_string(o.rounds));
  s.emplace_back("bind", o.bind ? "core" : "none");
  const SystemInfo sys = GetSystemInfo();
  auto& e = info.environment;
  e.emplace_back("host", sys.host);
  e.emplace_back("cpu", sys.cpu_model);
  e.emplace_back("cores", std::to_string(sys.cores));
  e.emplace_back("memory", sys.memory);
  e.emplace_back("kernel", sys.kernel);
  e.emplace_back("load average", sys.load + " (at start)");
  return info;
}

int FinishRun(const Report& r, const Options& o, const std::vector<std::string>& primary,
              const std::vector<std::string>& baselines) {
  std::fputs(TableFooter(r, primary, baselines).c_str(), stdout);
  std::printf("# Collective test concluded: chorus-bench %s\n", r.info.collective.c_str());
  std::fflush(stdout);
  int code = 0;
  for (const std::string& p : primary) {
    if (TotalWrong(r, p) > 0 || CountErrors(r, p) > 0) code = 1;
  }
  std::string err;
  std::string json_path = o.json_path;
  std::string tmp_dir;
  if (!o.plot_path.empty() && json_path.empty()) {
    tmp_dir = MakeTempDir("chorus-bench-plot-", &err);
    if (!tmp_dir.empty()) json_path = tmp_dir + "/report.json";
  }
  if (!json_path.empty() && !WriteTextFile(json_path, ReportToJson(r), &err)) {
    std::fprintf(stderr, "chorus-bench: %s\n", err.c_str());
    code = code ? code : 1;
  }
  if (!o.csv_path.empty() && !WriteTextFile(o.csv_path, ReportToCsv(r), &err)) {
    std::fprintf(stderr, "chorus-bench: %s\n", err.c_str());
    code = code ? code : 1;
  }
  if (!o.plot_path.empty()) {
    const std::string why = json_path.empty() ? err : Plot(json_path, o.plot_path);
    if (!why.empty()) {
      std::fprintf(stderr, "chorus-bench: no plot: %s\n", why.c_str());
    } else {
      std::printf("# Plot written to %s\n", o.plot_path.c_str());
    }
  }
  if (!tmp_dir.empty()) RemoveTree(tmp_dir);
  return code;
}

std::string Plot(const std::string& json_path, const std::string& png_path) {
  std::string script;
  if (const char* d = std::getenv("CHORUS_BENCH_SCRIPTS"); d != nullptr && *d) {
    script = std::string(d) + "/plot_busbw.py";
  } else {
    script = std::string(CHORUS_BENCH_SCRIPT_DIR) + "/plot_busbw.py";
  }
  if (access(script.c_str(), R_OK) != 0) return "cannot read " + script + " (set CHORUS_BENCH_SCRIPTS)";
  const std::string py = FindPython();
  if (py.empty()) return "no python3 with matplotlib (set CHORUS_BENCH_PYTHON)";
  const std::string cmd = ShellJoin({py, script, "--out", png_path, json_path});
  const int rc = std::system(cmd.c_str());
  if (rc != 0) return "'" + cmd + "' failed";
  return "";
}

}  // namespace chorus::bench
