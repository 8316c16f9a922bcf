// The measurement loop of one rank, shared by Chorus and the baselines.
//  - MeasureCase: check (fill, one call, count wrong elements), then warm-up and timed iterations,
//    out-of-place then in-place, on buffers allocated for that case and freed after it (so that
//    implementations waiting their turn hold no large buffers).
//  - RunWorker: under a coordinator, answers "case i" commands on the rank's pipes.
//  - RunStandalone: without one (mpirun / chorus-run / one process), walks every case; rank 0
//    gathers the ranks' figures and prints the table, JSON and CSV itself.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "chorus-bench/backend.h"
#include "chorus-bench/channel.h"
#include "chorus-bench/options.h"
#include "chorus-bench/report.h"

namespace chorus::bench {

RankResult MeasureCase(Backend& be, const Options& o, const Case& c);

// This rank's end of the coordinator's pipes (o.worker_dir, o.worker_group).
class WorkerPipes {
 public:
  ~WorkerPipes();
  bool Open(const Options& o, int rank, std::string* error);
  bool ReadLine(std::string* line);  // blocks; false at EOF or error
  bool WriteLine(const std::string& line);

 private:
  int cmd_fd_ = -1;
  int out_fd_ = -1;
  std::unique_ptr<LineReader> reader_;
};

// Answers the coordinator's commands as rank `rank` of `nranks` (pipes already open). `init_error`
// non-empty reports a failed initialisation instead (then `be` may be null). Returns the exit code.
int RunWorker(Backend* be, WorkerPipes& pipes, int rank, int nranks, const Options& o, const std::string& version,
              const std::string& init_error);

int RunStandalone(Backend& be, const Options& o, RunInfo info, const std::string& impl, const std::string& variant);

// CHORUS_BENCH_CORRUPT=1: flip a bit of rank 0's output after the checked call (tests only).
bool CorruptRequested();

}  // namespace chorus::bench
