// Command-line options, parsed the way nccl-tests reads them (-b 8 -e 256M -f 2 -c 1 ...), plus
// Chorus-specific ones (--ranks, --threads, --algo, --baseline, --json, --csv, --plot). The baseline
// binaries parse the same options, so that a coordinator can forward them unchanged.
#pragma once

#include <string>
#include <vector>

#include "chorus-bench/sizes.h"
#include "chorus-bench/stats.h"
#include "chorus-bench/vocab.h"

namespace chorus::bench {

enum class Program { kChorus, kMpi, kGloo };

struct Options {
  Program program = Program::kChorus;
  Coll coll = Coll::kAllReduce;
  Sweep sweep;
  int iters = 20;
  int warmup = 5;
  int check = 1;
  std::vector<Op> ops{Op::kSum};
  std::vector<DType> dtypes{DType::kFloat32};
  int root = 0;
  int blocking = 0;  // recorded: calls on a CPU communicator complete before they return anyway
  Average average = Average::kMean;
  // The timed iterations split into this many batches; the time is the median batch's (1: the
  // mean over all iterations, as nccl-tests). A shared machine's rare multi-millisecond stall
  // then costs one batch, not the figure.
  int batches = 1;
  // Every implementation measures each case this many times, interleaved with the others; the
  // median turn is reported.
  int rounds = 1;
  // -R 1: Chorus's buffers come from chorusMemAlloc (shared windows: one copy), as nccl-tests -R
  // registers them.
  bool registered = false;
  // Bind each rank to its own core when there is one per rank (as mpirun does by default), so the
  // scheduler cannot stack two polling ranks on one core. --bind none leaves placement to the OS.
  bool bind = true;

  int ranks = 0;    // --ranks N: N processes of this binary (0: not given)
  int threads = 0;  // --threads N: N ranks as threads of this process (0: not given)
  std::vector<std::string> algos;      // chorus algorithms to run (empty: the library's choice)
  std::vector<std::string> baselines;  // "mpi", "gloo", "gloo:halving_doubling", ...
  std::string json_path;
  std::string csv_path;
  std::string plot_path;
  int timeout_s = 600;  // a group that does not answer a case within this is killed
  int progress = -1;    // -1: when stderr is a terminal
  std::string mpirun = "mpirun";
  std::vector<std::string> mpirun_args;  // extra arguments for mpirun (split on spaces)

  // Set by a coordinator for its workers.
  std::string worker_dir;
  std::string worker_group;
  // --baseline floor's workers: copy instead of calling the collective (floor_backend.h), all
  // ranks at once ("concurrent") or one after another ("serial"); "" for the collective.
  std::string floor_worker;
  // Gloo: the rendezvous directory and the all-reduce algorithm (ring, halving_doubling).
  std::string gloo_store;
  std::string gloo_algo = "ring";

  std::vector<std::string> argv;  // as given, program name first
};

struct ParseOutcome {
  bool ok = true;
  bool exit_now = false;  // --help: print `message` and exit with exit_code
  int exit_code = 0;
  std::string message;
};

// args[0] is the program name.
ParseOutcome ParseOptions(Program program, const std::vector<std::string>& args, Options* out);

// Arguments (no program name) that make a worker build the same case list.
std::vector<std::string> WorkerArgs(const Options& o);

// The algorithm names `--algo all` tries when no --algo-list is given.
std::vector<std::string> DefaultAlgoList();

// "mpi", "gloo", "gloo:ring", "gloo:halving_doubling", "gloo:all" -> (impl, variants).
bool ParseBaseline(const std::string& spec, std::string* impl, std::vector<std::string>* variants,
                   std::string* error);

}  // namespace chorus::bench
