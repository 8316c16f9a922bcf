#include "chorus-bench/options.h"

#include <CLI/CLI.hpp>
#include <sstream>

namespace chorus::bench {
namespace {

std::vector<std::string> SplitList(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

template <typename T>
std::string JoinNames(const std::vector<T>& v) {
  std::string s;
  for (const T& x : v) s += (s.empty() ? "" : ",") + std::string(Name(x));
  return s;
}

bool ParseOps(const std::string& s, std::vector<Op>* out, std::string* err) {
  out->clear();
  if (s == "all") {
    *out = AllOps();
    return true;
  }
  for (const std::string& name : SplitList(s, ',')) {
    auto op = ParseOp(name);
    if (!op) {
      *err = "unknown op '" + name + "' (sum, prod, min, max, avg or all)";
      return false;
    }
    out->push_back(*op);
  }
  if (out->empty()) *err = "empty --op";
  return !out->empty();
}

bool ParseTypes(const std::string& s, std::vector<DType>* out, std::string* err) {
  out->clear();
  if (s == "all") {
    *out = AllDTypes();
    return true;
  }
  for (const std::string& name : SplitList(s, ',')) {
    auto t = ParseDType(name);
    if (!t) {
      *err = "unknown datatype '" + name +
             "' (int8, uint8, int32, uint32, int64, uint64, half, bfloat16, float, double, f8e4m3, f8e5m2 or all)";
      return false;
    }
    out->push_back(*t);
  }
  if (out->empty()) *err = "empty --datatype";
  return !out->empty();
}

ParseOutcome Fail(const std::string& m) {
  ParseOutcome r;
  r.ok = false;
  r.exit_code = 2;
  r.message = m;
  return r;
}

}  // namespace

std::vector<std::string> DefaultAlgoList() {
  return {"ring", "double_tree", "recursive_doubling", "rabenseifner", "bruck",
          "one_shot", "two_shot", "chain", "pairwise"};
}

bool ParseBaseline(const std::string& spec, std::string* impl, std::vector<std::string>* variants,
                   std::string* error) {
  const auto colon = spec.find(':');
  *impl = spec.substr(0, colon);
  const std::string variant = colon == std::string::npos ? "" : spec.substr(colon + 1);
  variants->clear();
  if (*impl == "mpi") {
    if (!variant.empty()) {
      *error = "the mpi baseline has no variants (pass MCA parameters with --mpirun-args)";
      return false;
    }
    variants->push_back("");
    return true;
  }
  if (*impl == "floor") {
    if (variant.empty()) {
      variants->push_back("");
    } else if (variant == "serial") {
      variants->push_back("serial");
    } else if (variant == "all") {
      *variants = {"", "serial"};
    } else {
      *error = "unknown floor variant '" + variant + "' (serial, all)";
      return false;
    }
    return true;
  }
  if (*impl == "gloo") {
    if (variant.empty() || variant == "ring") {
      variants->push_back("ring");
    } else if (variant == "halving_doubling" || variant == "hd") {
      variants->push_back("halving_doubling");
    } else if (variant == "all") {
      *variants = {"ring", "halving_doubling"};
    } else {
      *error = "unknown gloo variant '" + variant + "' (ring, halving_doubling, all)";
      return false;
    }
    return true;
  }
  *error = "unknown baseline '" + spec + "' (mpi, gloo, gloo:ring, gloo:halving_doubling, gloo:all, floor, floor:serial, floor:all)";
  return false;
}

ParseOutcome ParseOptions(Program program, const std::vector<std::string>& args, Options* out) {
  Options o;
  o.program = program;
  o.argv = args;
  const char* name = program == Program::kChorus ? "chorus-bench"
                     : program == Program::kMpi  ? "chorus-bench-mpi"
                                                 : "chorus-bench-gloo";
  CLI::App app{program == Program::kChorus
                   ? "Chorus collective benchmark (nccl-tests' table; Open MPI and Gloo side by side)"
                   : "Baseline collective benchmark (same options and table as chorus-bench)",
               name};
  std::string coll = "allreduce", minb = "8", maxb = "32M", stepb, op = "sum", dtype = "float", algo, algo_list;
  std::string baseline, mpirun_args;
  int stepf = 2, average = 1, gpus = 1;
  app.add_option("collective", coll,
                 "allreduce, allgather, reducescatter, alltoall, broadcast, reduce or sendrecv")
      ->required();
  app.add_option("-b,--minbytes", minb, "smallest size (K/M/G suffixes: binary)")->capture_default_str();
  app.add_option("-e,--maxbytes", maxb, "largest size")->capture_default_str();
  auto* f_opt = app.add_option("-f,--stepfactor", stepf, "multiply the size by this each step")->capture_default_str();
  auto* i_opt = app.add_option("-i,--stepbytes", stepb, "add this to the size each step (instead of -f)");
  f_opt->excludes(i_opt);
  app.add_option("-n,--iters", o.iters, "timed iterations per size")->capture_default_str();
  app.add_option("-w,--warmup_iters", o.warmup, "untimed iterations before them")->capture_default_str();
  app.add_option("-c,--check", o.check, "check results (0/1)")->capture_default_str();
  app.add_option("-o,--op", op, "sum, prod, min, max, avg, all, or a comma list")->capture_default_str();
  app.add_option("-d,--datatype", dtype, "float, half, bfloat16, int32, ..., all, or a comma list")
      ->capture_default_str();
  app.add_option("-r,--root", o.root, "root rank of broadcast and reduce")->capture_default_str();
  app.add_option("-z,--blocking", o.blocking, "blocking collectives (0/1; CPU calls always block: recorded)")
      ->capture_default_str();
  app.add_option("--batches", o.batches,
                 "split the timed iterations into N batches and report the median batch (1: the mean)")
      ->capture_default_str();
  app.add_option("--rounds", o.rounds,
                 "measure each case N times per implementation/algorithm, interleaved, and report the median")
      ->capture_default_str();
  int reg = 0;
  app.add_option("-R,--register", reg, "1: Chorus's buffers from chorusMemAlloc (shared windows, one copy); 0: malloc")
      ->capture_default_str();
  std::string bind = "core";
  app.add_option("--bind", bind, "core: rank r on the r-th usable CPU when every rank gets one (as mpirun); none")
      ->capture_default_str();
  app.add_option("-a,--average", average, "time over ranks: 0 rank 0, 1 average, 2 minimum, 3 maximum")
      ->capture_default_str();
  app.add_option("-g,--ngpus", gpus, "accepted for nccl-tests compatibility; must be 1 (one CPU device per rank)");
  app.add_option("--timeout", o.timeout_s, "seconds a case may take before its ranks are killed")
      ->capture_default_str();
  app.add_option("--progress", o.progress, "progress line on stderr (default: when stderr is a terminal)");
  app.add_option("--json", o.json_path, "write every figure and the environment as JSON");
  app.add_option("--csv", o.csv_path, "write every figure and the environment as CSV");
  if (program == Program::kChorus) {
    app.add_option("--ranks", o.ranks,
                   "run N processes of this binary (with neither --ranks nor --threads: the launcher's "
                   "ranks, else one rank)");
    app.add_option("-t,--threads,--nthreads", o.threads, "run N ranks as threads of this process");
    app.add_option("--algo", algo, "CHORUS_ALGO for the run: a name, a comma list, or 'all'");
    app.add_option("--algo-list", algo_list, "the names --algo all tries (comma list)");
    app.add_option("--baseline", baseline,
                   "run baselines side by side: mpi, gloo[:ring|:halving_doubling|:all], floor[:serial|:all] (comma list)");
    app.add_option("--plot", o.plot_path, "draw busbw against size into this PNG (python3 + matplotlib)");
    app.add_option("--mpirun", o.mpirun, "mpirun to launch the MPI baseline with")->capture_default_str();
    app.add_option("--mpirun-args", mpirun_args, "extra mpirun arguments (space separated)");
  }
  if (program == Program::kGloo) {
    app.add_option("--gloo-store", o.gloo_store, "directory for Gloo's file rendezvous (shared by the ranks)");
    app.add_option("--gloo-algo", o.gloo_algo, "all-reduce algorithm: ring or halving_doubling")
        ->capture_default_str();
  }
  app.add_option("--worker-dir", o.worker_dir, "(internal) coordinator's pipe directory")->group("");
  app.add_option("--worker-group", o.worker_group, "(internal) this implementation's pipe prefix")->group("");
  app.add_option("--floor-worker", o.floor_worker, "(internal) measure the memory floor instead of the collective")
      ->check(CLI::IsMember({"concurrent", "serial"}))
      ->group("");

  std::vector<std::string> rev(args.rbegin(), args.rend() - (args.empty() ? 0 : 1));
  try {
    app.parse(rev);
  } catch (const CLI::CallForHelp&) {
    ParseOutcome r;
    r.exit_now = true;
    r.message = app.help();
    return r;
  } catch (const CLI::ParseError& e) {
    return Fail(e.what());
  }

  std::string err;
  auto c = ParseColl(coll);
  if (!c) return Fail("unknown collective '" + coll + "'");
  o.coll = *c;
  auto mn = ParseBytes(minb);
  auto mx = ParseBytes(maxb);
  if (!mn) return Fail("bad --minbytes '" + minb + "'");
  if (!mx) return Fail("bad --maxbytes '" + maxb + "'");
  o.sweep.min_bytes = *mn;
  o.sweep.max_bytes = *mx;
  if (!stepb.empty()) {
    auto sb = ParseBytes(stepb);
    if (!sb || *sb == 0) return Fail("bad --stepbytes '" + stepb + "'");
    o.sweep.step_bytes = *sb;
  } else {
    if (stepf < 2) return Fail("--stepfactor must be at least 2");
    if (o.sweep.min_bytes == 0) return Fail("--minbytes 0 needs --stepbytes (a factor never leaves 0)");
    o.sweep.step_factor = static_cast<std::size_t>(stepf);
  }
  if (o.sweep.min_bytes > o.sweep.max_bytes) return Fail("--minbytes is larger than --maxbytes");
  if (o.iters < 1) return Fail("--iters must be at least 1");
  if (o.warmup < 0) return Fail("--warmup_iters must not be negative");
  if (o.batches < 1 || o.batches > o.iters) return Fail("--batches must be between 1 and --iters");
  if (o.rounds < 1 || o.rounds > 1000) return Fail("--rounds must be between 1 and 1000");
  if (reg != 0 && reg != 1) return Fail("-R must be 0 or 1");
  o.registered = reg == 1;
  if (bind != "core" && bind != "none") return Fail("--bind must be core or none");
  o.bind = bind == "core";
  if (o.check != 0 && o.check != 1) return Fail("--check must be 0 or 1");
  if (o.blocking != 0 && o.blocking != 1) return Fail("--blocking must be 0 or 1");
  if (!ValidAverage(average)) return Fail("--average must be 0, 1, 2 or 3");
  o.average = static_cast<Average>(average);
  if (o.root < 0) return Fail("--root must not be negative");
  if (gpus != 1) return Fail("-g/--ngpus must be 1: ranks are CPU processes (use --ranks or --threads)");
  if (!ParseOps(op, &o.ops, &err)) return Fail(err);
  if (!ParseTypes(dtype, &o.dtypes, &err)) return Fail(err);
  if (o.ranks < 0 || o.threads < 0) return Fail("--ranks/--threads must be positive");
  if (o.ranks > 0 && o.threads > 0) return Fail("--ranks and --threads exclude each other");
  if (o.timeout_s < 1) return Fail("--timeout must be at least 1 second");
  if (!algo.empty()) {
    if (algo == "all") {
      o.algos = algo_list.empty() ? DefaultAlgoList() : SplitList(algo_list, ',');
    } else {
      o.algos = SplitList(algo, ',');
    }
  } else if (!algo_list.empty()) {
    return Fail("--algo-list needs --algo all");
  }
  for (const std::string& b : SplitList(baseline, ',')) {
    std::string impl;
    std::vector<std::string> variants;
    if (!ParseBaseline(b, &impl, &variants, &err)) return Fail(err);
    o.baselines.push_back(b);
  }
  if (!o.floor_worker.empty() && o.worker_dir.empty()) {
    return Fail("--floor-worker is internal (a coordinator's floor ranks); use --baseline floor");
  }
  o.mpirun_args = SplitList(mpirun_args, ' ');
  if (program == Program::kGloo && o.gloo_algo != "ring" && o.gloo_algo != "halving_doubling") {
    return Fail("--gloo-algo must be ring or halving_doubling");
  }
  *out = std::move(o);
  return {};
}

std::vector<std::string> WorkerArgs(const Options& o) {
  std::vector<std::string> a = {Name(o.coll), "-b", FormatBytes(o.sweep.min_bytes), "-e",
                                FormatBytes(o.sweep.max_bytes)};
  if (o.sweep.step_bytes > 0) {
    a.insert(a.end(), {"-i", FormatBytes(o.sweep.step_bytes)});
  } else {
    a.insert(a.end(), {"-f", std::to_string(o.sweep.step_factor)});
  }
  a.insert(a.end(), {"-n", std::to_string(o.iters), "-w", std::to_string(o.warmup), "-c", std::to_string(o.check),
                     "-o", JoinNames(o.ops), "-d", JoinNames(o.dtypes), "-r", std::to_string(o.root), "-z",
                     std::to_string(o.blocking), "-a", std::to_string(static_cast<int>(o.average)), "--batches", std::to_string(o.batches), "--bind",
                     o.bind ? "core" : "none", "-R", o.registered ? "1" : "0", "--timeout",
                     std::to_string(o.timeout_s)});
  if (!o.floor_worker.empty()) a.insert(a.end(), {"--floor-worker", o.floor_worker});
  return a;
}

}  // namespace chorus::bench
