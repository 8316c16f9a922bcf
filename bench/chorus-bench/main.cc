// chorus-bench: nccl-tests' measurements for Chorus, with Open MPI and Gloo side by side.
//
// Modes:
//   chorus-bench <coll> [--ranks N | --threads N] [--baseline ...]   this process coordinates
//   mpirun -np N chorus-bench <coll> ... / chorus-run -n N ...          ranks from the launcher
//   (internal) chorus-bench <coll> ... --worker-dir D --worker-group G  a rank under a coordinator
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "chorus-bench/baseline_launch.h"
#include "chorus-bench/chorus_backend.h"
#include "chorus-bench/chorus_groups.h"
#include "chorus-bench/round_trip.h"
#include "chorus-bench/coordinator.h"
#include "chorus-bench/options.h"
#include "chorus-bench/runinfo.h"
#include "chorus-bench/sysinfo.h"
#include "chorus-bench/worker.h"
#include "chorus/chorus.h"

namespace chorus::bench {
namespace {

// Which launcher started this process, if any ("" when none).
std::string Launcher() {
  auto set = [](const char* v) { return std::getenv(v) != nullptr; };
  if (set("CHORUS_RANK")) return "CHORUS_RANK";
  if (set("OMPI_COMM_WORLD_RANK")) return "Open MPI";
  if (set("PMI_RANK")) return "PMI";
  if (set("SLURM_PROCID") && set("SLURM_STEP_ID")) return "Slurm";
  return "";
}

void AddChorusEnvironment(RunInfo* info, const std::vector<std::string>& algos) {
  info->environment.emplace_back("chorus", ChorusVersionString());
  const char* transport = std::getenv("CHORUS_TRANSPORT");
  info->environment.emplace_back("transport", transport != nullptr && *transport
                                                  ? std::string(transport) + " (CHORUS_TRANSPORT)"
                                                  : "library default (host shared memory)");
  std::string algo;
  for (const std::string& a : algos) algo += (algo.empty() ? "" : ", ") + a;
  const char* env_algo = std::getenv("CHORUS_ALGO");
  if (algo.empty()) algo = env_algo != nullptr && *env_algo ? std::string(env_algo) + " (CHORUS_ALGO)" : "library default";
  info->environment.emplace_back("algorithm", algo);
  for (const auto& kv : EnvWithPrefix("CHORUS_")) {
    if (kv.first == "CHORUS_UNIQUE_ID" || kv.first == "CHORUS_SECRET") continue;  // secrets stay out of reports
    info->environment.emplace_back(kv.first, kv.second);
  }
}

int RunUnderLauncher(const Options& o, const std::string& launcher) {
  if (!o.baselines.empty()) {
    std::fprintf(stderr, "chorus-bench: --baseline needs --ranks or --threads (chorus-bench then launches "
                         "the baselines itself); under a launcher run chorus-bench-mpi the same way instead\n");
    return 2;
  }
  if (o.algos.size() > 1) {
    std::fprintf(stderr, "chorus-bench: several --algo values need --ranks or --threads\n");
    return 2;
  }
  if (o.algos.size() == 1) setenv("CHORUS_ALGO", AlgoEnvValue(o.coll, o.algos[0]).c_str(), 1);
  chorusComm_t comm = nullptr;
  const chorusResult_t rc = chorusCommInitFromEnv(&comm, nullptr);
  if (rc != chorusSuccess) {
    std::fprintf(stderr, "chorus-bench: chorusCommInitFromEnv: %s: %s\n", chorusGetErrorString(rc),
                 chorusGetLastError(nullptr));
    return 1;
  }
  ChorusBackend be(comm, o.algos.size() == 1, /*owns=*/true, o.registered);
  RunInfo info = DescribeRun(o, be.nranks(), "external launcher: " + launcher);
  AddChorusEnvironment(&info, o.algos);
  return RunStandalone(be, o, info, "chorus", o.algos.empty() ? "" : o.algos[0]);
}

int CoordinateRun(const Options& o) {
  const bool threads = o.ranks == 0;  // --threads N, or nothing given: one rank in this process
  const int nranks = o.ranks > 0 ? o.ranks : (o.threads > 0 ? o.threads : 1);
  if (o.root >= nranks && Rooted(o.coll)) {
    std::fprintf(stderr, "chorus-bench: --root %d is not a rank of %d\n", o.root, nranks);
    return 2;
  }
  std::vector<Group> groups;
  const std::vector<std::string> algos = o.algos.empty() ? std::vector<std::string>{""} : o.algos;
  for (const std::string& a : algos) {
    Group g;
    g.info.impl = "chorus";
    g.info.variant = a;
    g.info.version = ChorusVersionString();
    g.launcher = threads ? ChorusThreadLauncher(o, nranks, a) : ChorusProcessLauncher(o, nranks, a);
    g.relay_uid = !threads;
    groups.push_back(std::move(g));
  }
  const std::string bin_dir = DirName(SelfExe());
  // "gloo,gloo:all" names gloo[ring] twice: one group each (labels must be unique).
  std::set<std::string> labels;
  for (const std::string& spec : o.baselines) {
    std::string impl, err;
    std::vector<std::string> variants;
    ParseBaseline(spec, &impl, &variants, &err);
    if (impl == "floor") {
      // Chorus's own ranks and communicator (for the barriers), copying instead of communicating.
      for (const std::string& v : variants) {
        if (!labels.insert("floor[" + v + "]").second) continue;
        Options floor = o;
        floor.floor_worker = v.empty() ? "concurrent" : v;
        Group g;
        g.info.impl = "floor";
        g.info.variant = v;
        g.info.baseline = true;
        g.launcher = threads ? ChorusThreadLauncher(floor, nranks, "") : ChorusProcessLauncher(floor, nranks, "");
        g.relay_uid = !threads;
        groups.push_back(std::move(g));
      }
      continue;
    }
    const std::string exe = bin_dir + "/chorus-bench-" + impl;
    if (access(exe.c_str(), X_OK) != 0) {
      std::fprintf(stderr, "chorus-bench: baseline '%s' needs %s, which was not built (is %s installed?)\n",
                   spec.c_str(), exe.c_str(), impl == "mpi" ? "libopenmpi-dev" : "libgloo-dev");
      return 2;
    }
    // Gloo's variants are all-reduce algorithms; other collectives have one implementation.
    if (impl == "gloo" && o.coll != Coll::kAllReduce) variants = {""};
    for (const std::string& v : variants) {
      if (!labels.insert(impl + "[" + v + "]").second) continue;
      Group g;
      g.info.impl = impl;
      g.info.variant = v;
      g.info.baseline = true;
      g.launcher = impl == "mpi" ? MpiLauncher(o, nranks, bin_dir) : GlooLauncher(o, nranks, v, bin_dir);
      groups.push_back(std::move(g));
    }
  }
  RunInfo info = DescribeRun(o, nranks, threads ? "threads of one process" : "processes");
  // Measured here, before any rank runs (under an external launcher every rank would be running).
  info.environment.emplace_back("cpu round trip", CpuRoundTrip());
  AddChorusEnvironment(&info, o.algos);
  return bench::Coordinate(o, nranks, info, std::move(groups));
}

}  // namespace
}  // namespace chorus::bench

int main(int argc, char** argv) {
  using namespace chorus::bench;
  Options o;
  const ParseOutcome p = ParseOptions(Program::kChorus, std::vector<std::string>(argv, argv + argc), &o);
  if (p.exit_now) {
    std::fputs(p.message.c_str(), stdout);
    return p.exit_code;
  }
  if (!p.ok) {
    std::fprintf(stderr, "chorus-bench: %s\nRun with --help for the options.\n", p.message.c_str());
    return p.exit_code;
  }
  if (!o.worker_dir.empty()) return ChorusWorkerMain(o);
  const std::string launcher = Launcher();
  if (!launcher.empty() && o.ranks == 0 && o.threads == 0) return RunUnderLauncher(o, launcher);
  return CoordinateRun(o);
}
