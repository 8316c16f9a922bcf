// chorus-topo: shows the topology Chorus sees (detected, CHORUS_TOPO_FILE, --topo FILE or a
// built-in machine), writes it as XML or Graphviz, summarises the link costs the tuner gets and
// prints what the tuner chooses on it (--plan) and what it estimates for each algorithm
// (--estimates).
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "topology/detect.h"
#include "topology/dot.h"
#include "topology/link_costs.h"
#include "topology/machines.h"
#include "topology/xml.h"
#include "core/env.h"
#include "tune/topology_model.h"
#include "tune/tuner.h"

extern char** environ;

namespace {

using namespace chorus;
using namespace chorus::topo;

constexpr const char* kUsage = R"(usage: chorus-topo [source] [outputs] [options]

source (default: CHORUS_TOPO_FILE if set, else detect this machine):
  --topo FILE        read a Chorus topology XML file
  --builtin NAME     a bundled machine (--list shows them)
  --fat-tree N       N copies of the source joined by a two-level fat tree
  --list             list the built-in machines and exit

outputs:
  (default)          print the graph as text
  --xml OUT          write the graph as Chorus topology XML
  --dot OUT          write Graphviz DOT (links labelled by type and bandwidth)
  --png OUT, --svg OUT
                     render with Graphviz `dot` (must be on the PATH)
  --costs            print the link-cost summary the tuner uses
  --plan             print the tuner's choice per collective and size range (float32, sum)
  --estimates        print every applicable algorithm's estimate per size (16 B .. 256 MiB,
                     x4: the sizes of the algorithm table in docs/benchmarks.md) and the pick
  --quiet            do not print the graph

options for --costs, --plan and --estimates:
  --ranks N          number of ranks (default: one per accelerator, else one per core)
  --host-cores       place ranks on the CPU cores of the first host, not on accelerators
  --cores N          --plan: host ranks share N cores (fewer than ranks: priced as oversubscribed)
  --channels N       --plan, --estimates: the most channels the tuner may use (default: 4 on
                     accelerators; on host cores CHORUS_CHANNELS, else 1, as a communicator)
  --coll NAME        --plan, --estimates: only this collective (allreduce, allgather, ...)
)";

struct Args {
  std::string topo, builtin, xml, dot, png, svg, coll;
  int fat_tree = 0;
  int ranks = 0;
  int cores = 0;
  int channels = 0;  // 0: the default for the placement (PlanModel::channels)
  Collective only = Collective::kAllReduce;  // with --coll
  bool list = false, costs = false, plan = false, estimates = false, quiet = false, host_cores = false;
};

bool ParseInt(const char* s, int* out) {
  char* end = nullptr;
  long v = std::strtol(s, &end, 10);
  if (end == s || *end != '\0' || v < 1 || v > 1000000) return false;
  *out = static_cast<int>(v);
  return true;
}

// 0: parsed; otherwise the exit code.
int Parse(int argc, char** argv, Args* a) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    bool ok = true;
    std::string num;
    if (arg == "--topo")
      ok = value(&a->topo);
    else if (arg == "--builtin")
      ok = value(&a->builtin);
    else if (arg == "--fat-tree")
      ok = value(&num) && ParseInt(num.c_str(), &a->fat_tree);
    else if (arg == "--xml")
      ok = value(&a->xml);
    else if (arg == "--dot")
      ok = value(&a->dot);
    else if (arg == "--png")
      ok = value(&a->png);
    else if (arg == "--svg")
      ok = value(&a->svg);
    else if (arg == "--ranks")
      ok = value(&num) && ParseInt(num.c_str(), &a->ranks);
    else if (arg == "--cores")
      ok = value(&num) && ParseInt(num.c_str(), &a->cores) && a->cores > 0;
    else if (arg == "--coll")
      ok = value(&a->coll) && ParseCollective(a->coll.c_str(), &a->only) &&
           a->only != Collective::kSendRecv && a->only != Collective::kBarrier;
    else if (arg == "--channels")
      ok = value(&num) && ParseInt(num.c_str(), &a->channels);
    else if (arg == "--list")
      a->list = true;
    else if (arg == "--costs")
      a->costs = true;
    else if (arg == "--plan")
      a->plan = true;
    else if (arg == "--estimates")
      a->estimates = true;
    else if (arg == "--quiet")
      a->quiet = true;
    else if (arg == "--host-cores")
      a->host_cores = true;
    else if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return -1;
    } else {
      std::fprintf(stderr, "chorus-topo: unknown argument '%s'\n%s", arg.c_str(), kUsage);
      return 2;
    }
    if (!ok) {
      std::fprintf(stderr, "chorus-topo: %s needs a valid value\n", arg.c_str());
      return 2;
    }
  }
  if (!a->topo.empty() && !a->builtin.empty()) {
    std::fprintf(stderr, "chorus-topo: --topo and --builtin are exclusive\n");
    return 2;
  }
  return 0;
}

Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) return SystemError("cannot write " + path);
  return Status::Ok();
}

// Runs `dot -T<format> -o out in` without a shell.
Status RunDot(const std::string& format, const std::string& in, const std::string& out) {
  std::string t = "-T" + format;
  std::vector<char*> argv = {const_cast<char*>("dot"),      t.data(),
                             const_cast<char*>("-o"),       const_cast<char*>(out.c_str()),
                             const_cast<char*>(in.c_str()), nullptr};
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, "dot", nullptr, nullptr, argv.data(), environ);
  if (rc != 0) return SystemError(ErrnoMessage("cannot run Graphviz dot (is it installed?)", rc));
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return SystemError(ErrnoMessage("waitpid(dot)", errno));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return SystemError("dot failed writing " + out);
  return Status::Ok();
}

Status Render(const Graph& g, const std::string& format, const std::string& out) {
  char tmp[] = "/tmp/chorus-topo-XXXXXX";
  int fd = mkstemp(tmp);
  if (fd < 0) return SystemError(ErrnoMessage("mkstemp", errno));
  close(fd);
  Status s = WriteText(tmp, ToDot(g));
  if (s.ok()) s = RunDot(format, tmp, out);
  unlink(tmp);
  return s;
}

// Places the ranks as --costs and --plan describe: one per accelerator, else on the first
// host's cores.
Status Place(const Graph& g, const Args& a, std::vector<NodeId>* nodes, bool* on_accel) {
  PlaceOptions place;
  bool have_gpus = !g.NodesOfKind(NodeKind::kGpu).empty();
  place.on = a.host_cores || !have_gpus ? PlaceOn::kHostCores : PlaceOn::kAccelerators;
  int ranks = a.ranks;
  if (ranks == 0) {
    if (place.on == PlaceOn::kAccelerators) {
      ranks = static_cast<int>(g.NodesOfKind(NodeKind::kGpu).size());
    } else {
      for (NodeId h : g.NodesOfKind(NodeKind::kHost)) {
        for (NodeId m : g.NodesOfKind(NodeKind::kNuma, h)) ranks += std::max(1, g.node(m).cores);
        if (ranks > 0) break;
      }
      ranks = std::max(ranks, 1);
    }
  }
  *on_accel = place.on == PlaceOn::kAccelerators;
  return PlaceRanks(g, ranks, place, nodes);
}

Status PrintCosts(const Graph& g, const Args& a) {
  std::vector<NodeId> nodes;
  bool on_accel = false;
  CHORUS_RETURN_IF_ERROR(Place(g, a, &nodes, &on_accel));
  LinkCosts costs;
  CHORUS_RETURN_IF_ERROR(LinkCosts::Compute(g, nodes, LinkCostOptions{}, &costs));
  std::printf("link costs (%s):\n%s", on_accel ? "one rank per accelerator" : "ranks on host CPU cores",
              costs.Summary().c_str());
  return Status::Ok();
}

std::string Seconds(double s) {
  char buf[32];
  if (s >= 1)
    std::snprintf(buf, sizeof(buf), "%.3g s", s);
  else if (s >= 1e-3)
    std::snprintf(buf, sizeof(buf), "%.3g ms", s * 1e3);
  else
    std::snprintf(buf, sizeof(buf), "%.3g us", s * 1e6);
  return buf;
}

std::string Bandwidth(double bytes_per_s) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3g", bytes_per_s / 1e9);
  return buf;
}

std::string SizeText(double b) {
  std::string s = tune::FormatBytes(b);
  size_t unit = s.find_first_not_of("0123456789.");
  return s.substr(0, unit) + " " + s.substr(unit);
}

// nccl-tests' convention: `bytes` is the largest buffer of one rank; bus bandwidth scales the
// algorithm bandwidth (bytes / time) by what an optimal algorithm moves per rank.
struct PlanColl {
  Collective coll;
  bool per_rank;   // the count is per rank's block (bytes / nranks)
  bool two_ways;   // all-reduce: 2(p-1)/p
  bool one_way;    // (p-1)/p
};
constexpr PlanColl kPlanColls[] = {
    {Collective::kAllReduce, false, true, false},    {Collective::kAllGather, true, false, true},
    {Collective::kReduceScatter, true, false, true}, {Collective::kAllToAll, true, false, true},
    {Collective::kBroadcast, false, false, false},   {Collective::kReduce, false, false, false},
};
constexpr double kPlanMinBytes = 8, kPlanMaxBytes = 256.0 * 1024 * 1024;

// One run of consecutive sizes with the same choice.
struct PlanRow {
  std::string algo;
  double lo_bytes = 0, hi_bytes = 0, lo_s = 0, hi_s = 0, lo_busbw = 0, hi_busbw = 0;
};

// The model the tuner would get for these ranks: the topology's, CHORUS_HOST_MODEL, shared cores.
struct PlanModel {
  tune::TopologyModel tm;
  int nranks = 0;
  bool on_accel = false;
  int channels = 1;  // the most the tuner may use
};

Status BuildPlanModel(const Graph& g, const Args& a, PlanModel* out) {
  std::vector<NodeId> nodes;
  CHORUS_RETURN_IF_ERROR(Place(g, a, &nodes, &out->on_accel));
  tune::TopologyModel& tm = out->tm;
  CHORUS_RETURN_IF_ERROR(tune::ModelFromTopology(g, nodes, tune::TopologyModelOptions{}, &tm));
  const int p = static_cast<int>(nodes.size());
  out->nranks = p;
  // A communicator of host ranks runs CHORUS_CHANNELS channels (default 1) over shm, and the
  // tuner may not use more than its connections allow; pricing 4 there showed choices it never makes.
  out->channels = a.channels > 0 ? a.channels
                  : out->on_accel ? 4
                                  : std::max(1, static_cast<int>(EnvInt("CHORUS_CHANNELS", 1)));
  if (!out->on_accel) {
    const std::string spec = EnvString("CHORUS_HOST_MODEL");
    if (!spec.empty()) {
      Status st = tune::ApplyHostModelOverrides(&tm.model, spec);
      if (!st.ok()) std::fprintf(stderr, "chorus-topo: %s\n", st.message().c_str());
      tm.description += "  CHORUS_HOST_MODEL=" + spec + "\n";
    }
  }
  if (!out->on_accel && a.cores > 0 && p > a.cores) {
    tune::ForSharedCores(&tm.model, static_cast<double>(p) / a.cores);
    tm.description += "  " + std::to_string(p) + " ranks share " + std::to_string(a.cores) + " cores\n";
  }
  return Status::Ok();
}

constexpr DataType kPlanType = DataType::kFloat32;

// The call the tuner sees for `size` bytes of `pc` (nccl-tests' size convention); its count is
// 0 when the size holds no whole element per block. *bytes: the size actually priced.
Status PlanCall(const PlanModel& pm, const PlanColl& pc, double size, sched::CollArgs* args, double* bytes) {
  const Bytes elem = SizeOf(kPlanType);
  // Per-rank blocks round down to whole elements, so the size printed is the size priced.
  const int blocks = pc.per_rank ? pm.nranks : 1;
  const Count count = static_cast<Count>(size / static_cast<double>(elem) / blocks);
  *bytes = static_cast<double>(count) * static_cast<double>(elem) * blocks;
  *args = sched::CollArgs();
  args->coll = pc.coll;
  args->nranks = pm.nranks;
  args->count = count;
  args->elem_size = elem;
  args->channels = pm.channels;
  args->op = ReduceOp::kSum;
  if (count == 0) return Status::Ok();
  return tune::ApplyTopologyHints(pm.tm.hints, kPlanType, args);
}

double BusBandwidth(const PlanColl& pc, int p, double bytes, double seconds) {
  const double factor = pc.two_ways ? 2.0 * (p - 1) / p : pc.one_way ? static_cast<double>(p - 1) / p : 1.0;
  return seconds > 0 ? bytes / seconds * factor : 0;
}

Status PrintPlan(const Graph& g, const Args& a) {
  PlanModel pm;
  CHORUS_RETURN_IF_ERROR(BuildPlanModel(g, a, &pm));
  const int p = pm.nranks;
  std::printf("plan (%s, float32 sum, up to %d channel%s):\n%s",
              pm.on_accel ? "one rank per accelerator" : "ranks on host CPU cores", pm.channels,
              pm.channels == 1 ? "" : "s", pm.tm.description.c_str());
  const tune::AlgoOverride none;
  for (const PlanColl& pc : kPlanColls) {
    if (!a.coll.empty() && pc.coll != a.only) continue;
    std::vector<PlanRow> rows;
    Count last = 0;
    for (double size = kPlanMinBytes; size <= kPlanMaxBytes; size *= 2) {
      sched::CollArgs args;
      double bytes = 0;
      CHORUS_RETURN_IF_ERROR(PlanCall(pm, pc, size, &args, &bytes));
      if (args.count == 0 || args.count == last) continue;
      last = args.count;
      tune::Choice c;
      CHORUS_RETURN_IF_ERROR(tune::Choose(args, pm.tm.model, none, &c));
      const double busbw = BusBandwidth(pc, p, bytes, c.est_seconds);
      if (rows.empty() || rows.back().algo != c.algorithm->name) {
        rows.push_back(PlanRow{c.algorithm->name, bytes, bytes, c.est_seconds, c.est_seconds, busbw, busbw});
      } else {
        PlanRow& r = rows.back();
        r.hi_bytes = bytes;
        r.hi_s = c.est_seconds;
        r.hi_busbw = busbw;
      }
    }
    for (const PlanRow& r : rows) {
      auto range = [](const std::string& lo, const std::string& hi) {
        return lo == hi ? lo : lo + " .. " + hi;
      };
      std::printf("%-14s %-22s %-19s est %-22s busbw %s GB/s\n", Name(pc.coll),
                  range(SizeText(r.lo_bytes), SizeText(r.hi_bytes)).c_str(), r.algo.c_str(),
                  range(Seconds(r.lo_s), Seconds(r.hi_s)).c_str(),
                  range(Bandwidth(r.lo_busbw), Bandwidth(r.hi_busbw)).c_str());
    }
  }
  return Status::Ok();
}

// One row per size, one column per algorithm: each priced alone (forced, its best channels and
// chunk), so a model can be compared cell by cell with an `--algo all` table.
Status PrintEstimates(const Graph& g, const Args& a) {
  PlanModel pm;
  CHORUS_RETURN_IF_ERROR(BuildPlanModel(g, a, &pm));
  std::printf("estimates (%s, float32 sum, up to %d channel%s; us, '-': does not apply):\n%s",
              pm.on_accel ? "one rank per accelerator" : "ranks on host CPU cores", pm.channels,
              pm.channels == 1 ? "" : "s", pm.tm.description.c_str());
  for (const PlanColl& pc : kPlanColls) {
    if (!a.coll.empty() && pc.coll != a.only) continue;
    // The calls, once: 16 B .. 256 MiB by 4, sizes too small for a whole element per block skipped.
    struct Call {
      sched::CollArgs args;
      double bytes = 0;
    };
    std::vector<Call> calls;
    for (double size = 16; size <= kPlanMaxBytes; size *= 4) {
      Call c;
      CHORUS_RETURN_IF_ERROR(PlanCall(pm, pc, size, &c.args, &c.bytes));
      if (c.args.count == 0 || (!calls.empty() && calls.back().args.count == c.args.count)) continue;
      calls.push_back(c);
    }
    // The columns: every algorithm that applies to one of the calls at least, in registry order.
    std::vector<std::string> names;
    for (const sched::Algorithm& algo : sched::Algorithms()) {
      if (std::any_of(calls.begin(), calls.end(), [&](const Call& c) { return algo.applies(c.args); })) {
        names.push_back(algo.name);
      }
    }
    std::printf("%-14s %-10s", Name(pc.coll), "size");
    // Each column as wide as its name (at least 10), so that the names stay whole.
    std::vector<int> width;
    for (const std::string& n : names) width.push_back(std::max(10, static_cast<int>(n.size())));
    for (size_t i = 0; i < names.size(); ++i) std::printf(" %*s", width[i], names[i].c_str());
    std::printf("  %s\n", "pick");
    for (const Call& call : calls) {
      const sched::CollArgs& args = call.args;
      std::printf("%-14s %-10s", Name(pc.coll), SizeText(call.bytes).c_str());
      for (size_t i = 0; i < names.size(); ++i) {
        tune::AlgoOverride force;
        force.per_collective[pc.coll] = names[i];
        tune::Choice c;
        if (tune::Choose(args, pm.tm.model, force, &c).ok()) {
          std::printf(" %*.2f", width[i], c.est_seconds * 1e6);
        } else {
          std::printf(" %*s", width[i], "-");
        }
      }
      tune::Choice pick;
      CHORUS_RETURN_IF_ERROR(tune::Choose(args, pm.tm.model, tune::AlgoOverride(), &pick));
      std::printf("  %s\n", pick.algorithm->name);
    }
  }
  return Status::Ok();
}

int Fail(const Status& s) {
  std::fprintf(stderr, "chorus-topo: %s\n", s.message().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  int rc = Parse(argc, argv, &a);
  if (rc != 0) return rc < 0 ? 0 : rc;
  if (a.list) {
    for (const std::string& n : BuiltinNames()) std::printf("%s\n", n.c_str());
    return 0;
  }
  Graph g;
  if (!a.topo.empty()) {
    Status s = ReadXmlFile(a.topo, &g);
    if (!s.ok()) return Fail(s);
  } else if (!a.builtin.empty()) {
    Status s = MakeBuiltin(a.builtin, &g);
    if (!s.ok()) return Fail(s);
  } else {
    Status s = LoadTopology(&g);
    if (!s.ok()) return Fail(s);
  }
  if (a.fat_tree > 0) {
    Graph tree;
    Status s = MakeFatTree(g, a.fat_tree, FatTreeOptions{}, &tree);
    if (!s.ok()) return Fail(s);
    g = std::move(tree);
  }
  if (!a.quiet) std::fputs(ToText(g).c_str(), stdout);
  if (!a.xml.empty()) {
    Status s = WriteXmlFile(g, a.xml);
    if (!s.ok()) return Fail(s);
  }
  if (!a.dot.empty()) {
    Status s = WriteText(a.dot, ToDot(g));
    if (!s.ok()) return Fail(s);
  }
  if (!a.png.empty()) {
    Status s = Render(g, "png", a.png);
    if (!s.ok()) return Fail(s);
  }
  if (!a.svg.empty()) {
    Status s = Render(g, "svg", a.svg);
    if (!s.ok()) return Fail(s);
  }
  if (a.costs) {
    Status s = PrintCosts(g, a);
    if (!s.ok()) return Fail(s);
  }
  if (a.plan) {
    Status s = PrintPlan(g, a);
    if (!s.ok()) return Fail(s);
  }
  if (a.estimates) {
    Status s = PrintEstimates(g, a);
    if (!s.ok()) return Fail(s);
  }
  return 0;
}
