#include "chorus-bench/worker.h"

#include <sched.h>

#include <algorithm>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

#include "chorus-bench/channel.h"
#include "chorus-bench/progress.h"
#include "chorus-bench/protocol.h"
#include "chorus-bench/runinfo.h"
#include "chorus-bench/sysinfo.h"
#include "chorus-bench/table.h"

namespace chorus::bench {
namespace {

using Clock = std::chrono::steady_clock;

void MeasurePlacement(Backend& be, const Options& o, const Case& c, const Pattern& p, CaseBuffers& bufs,
                      bool in_place, RankMeasure* m) {
  CallStatus s = be.Supports(c, in_place);
  if (!s.ok()) {
    m->outcome = s.outcome;
    m->message = s.message;
    return;
  }
  const int n = be.nranks();
  bufs.Fill(p, n, in_place);
  const CallBuffers call = bufs.Call(in_place);
  // The checked call comes first: it is also the first warm-up (page faults, connections).
  s = be.Run(c, call);
  if (!s.ok()) {
    m->outcome = s.outcome;
    m->message = s.message;
    return;
  }
  if (o.check && be.ProducesResults()) {
    if (CorruptRequested() && be.rank() == 0) bufs.Corrupt(in_place);
    m->wrong = bufs.CountWrong(p, n, in_place);
  }
  for (int i = 0; i < o.warmup; ++i) {
    s = be.Run(c, call);
    if (!s.ok()) break;
  }
  if (s.ok()) s = be.Barrier();
  // Batch b holds iterations [iters * b / batches, iters * (b + 1) / batches).
  std::vector<double> per_call_us;
  for (int b = 0; b < o.batches && s.ok(); ++b) {
    const int calls = o.iters * (b + 1) / o.batches - o.iters * b / o.batches;
    const auto t0 = Clock::now();
    for (int i = 0; i < calls && s.ok(); ++i) s = be.Run(c, call);
    const auto t1 = Clock::now();
    per_call_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count() / calls);
  }
  if (!s.ok()) {
    m->outcome = Outcome::kError;  // supported a moment ago: a failure now is an error
    m->message = s.message;
    return;
  }
  std::sort(per_call_us.begin(), per_call_us.end());
  const size_t k = per_call_us.size();
  m->time_us = k % 2 == 1 ? per_call_us[k / 2] : (per_call_us[k / 2 - 1] + per_call_us[k / 2]) / 2;
}

}  // namespace

bool CorruptRequested() {
  const char* v = std::getenv("CHORUS_BENCH_CORRUPT");
  return v != nullptr && std::strcmp(v, "1") == 0;
}

RankResult MeasureCase(Backend& be, const Options& o, const Case& c) {
  RankResult r;
  r.case_index = c.index;
  r.rank = be.rank();
  const Pattern p(c.dtype, c.op, Reduces(c.coll), be.nranks());
  CaseBuffers bufs(c, be.rank(), be.memory());
  if (!bufs.ok()) {
    r.oop.outcome = r.ip.outcome = Outcome::kError;
    r.oop.message = r.ip.message = "out of memory for " + Describe(c);
    return r;
  }
  MeasurePlacement(be, o, c, p, bufs, false, &r.oop);
  MeasurePlacement(be, o, c, p, bufs, true, &r.ip);
  be.EndCase();
  return r;
}

WorkerPipes::~WorkerPipes() {
  if (cmd_fd_ >= 0) close(cmd_fd_);
  if (out_fd_ >= 0) close(out_fd_);
}

bool WorkerPipes::Open(const Options& o, int rank, std::string* error) {
  const std::string cmd = CommandPipe(o.worker_dir, o.worker_group, rank);
  const std::string out = ResultPipe(o.worker_dir, o.worker_group, rank);
  // The coordinator holds both pipes open read-write, so these opens do not block.
  cmd_fd_ = open(cmd.c_str(), O_RDONLY | O_CLOEXEC);
  out_fd_ = open(out.c_str(), O_WRONLY | O_CLOEXEC);
  if (cmd_fd_ < 0 || out_fd_ < 0) {
    *error = "open " + (cmd_fd_ < 0 ? cmd : out) + ": " + std::strerror(errno);
    return false;
  }
  reader_ = std::make_unique<LineReader>(cmd_fd_);
  return true;
}

bool WorkerPipes::ReadLine(std::string* line) {
  return reader_ != nullptr && reader_->Next(line, -1) == LineReader::Result::kLine;
}

bool WorkerPipes::WriteLine(const std::string& line) { return out_fd_ >= 0 && bench::WriteLine(out_fd_, line); }

// Rank r onto the r-th CPU this thread may use, when there is one per rank.
static void BindRank(int rank, int nranks) {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (sched_getaffinity(0, sizeof(mask), &mask) != 0 || nranks > CPU_COUNT(&mask)) return;
  int seen = 0;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &mask) || seen++ != rank) continue;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    if (sched_setaffinity(0, sizeof(one), &one) != 0) {  // this thread: each rank thread binds itself
      std::fprintf(stderr, "chorus-bench: rank %d could not bind to CPU %d: %s\n", rank, cpu, std::strerror(errno));
    }
    return;
  }
}

int RunWorker(Backend* be, WorkerPipes& pipes, int rank, int nranks, const Options& o, const std::string& version,
              const std::string& init_error) {
  if (o.bind) BindRank(rank, nranks);
  ReadyInfo ready;
  ready.rank = rank;
  ready.nranks = nranks;
  ready.pid = static_cast<int>(getpid());
  ready.host = GetSystemInfo().host;
  ready.version = version;
  ready.error = be == nullptr && init_error.empty() ? "no backend" : init_error;
  if (!pipes.WriteLine(EncodeReady(ready)) || !ready.error.empty()) return 1;
  const std::vector<Case> cases = MakeCases(o.coll, o.dtypes, o.ops, o.root, SizeSweep(o.sweep), nranks);
  std::string line;
  while (pipes.ReadLine(&line)) {
    const int cmd = ParseCommand(line);
    if (cmd == -1) return 0;
    if (cmd < 0 || cmd >= static_cast<int>(cases.size())) {
      std::fprintf(stderr, "chorus-bench worker %d: bad command '%s'\n", rank, line.c_str());
      return 1;
    }
    if (!pipes.WriteLine(EncodeResult(MeasureCase(*be, o, cases[static_cast<std::size_t>(cmd)])))) return 1;
  }
  return 1;  // the coordinator went away without saying quit
}

int RunStandalone(Backend& be, const Options& o, RunInfo info, const std::string& impl, const std::string& variant) {
  const int rank = be.rank();
  const int n = be.nranks();
  const std::vector<Case> cases = MakeCases(o.coll, o.dtypes, o.ops, o.root, SizeSweep(o.sweep), n);
  Report report;
  GroupInfo g;
  g.impl = impl;
  g.variant = variant;
  g.version = be.version();
  info.groups.push_back(g);
  report.info = info;
  const TableLayout layout;
  Progress progress(rank == 0 ? o.progress : 0, static_cast<int>(cases.size()));
  if (rank == 0) {
    std::fputs(Preamble(report.info).c_str(), stdout);
    std::fputs(TableHeader(layout).c_str(), stdout);
    std::fflush(stdout);
  }
  // Per rank and placement: outcome, time, wrong.
  std::set<std::string> noted;
  constexpr int kFields = 6;
  std::vector<double> all(static_cast<std::size_t>(n) * kFields);
  for (const Case& c : cases) {
    progress.Update(c.index, Describe(c));
    const RankResult mine = MeasureCase(be, o, c);
    const double local[kFields] = {static_cast<double>(mine.oop.outcome), mine.oop.time_us,
                                   static_cast<double>(mine.oop.wrong), static_cast<double>(mine.ip.outcome),
                                   mine.ip.time_us, static_cast<double>(mine.ip.wrong)};
    const CallStatus s = be.AllGather(local, kFields, all.data());
    if (!s.ok()) {
      progress.Done();
      std::fprintf(stderr, "chorus-bench: rank %d: gathering results failed: %s\n", rank, s.message.c_str());
      return 1;
    }
    if (rank != 0) continue;
    std::vector<RankResult> ranks(static_cast<std::size_t>(n));
    for (int r = 0; r < n; ++r) {
      const double* f = &all[static_cast<std::size_t>(r) * kFields];
      RankResult& x = ranks[static_cast<std::size_t>(r)];
      x.rank = r;
      x.case_index = c.index;
      x.oop = {static_cast<Outcome>(static_cast<int>(f[0])), "", f[1], static_cast<int64_t>(f[2])};
      x.ip = {static_cast<Outcome>(static_cast<int>(f[3])), "", f[4], static_cast<int64_t>(f[5])};
      for (RankMeasure* m : {&x.oop, &x.ip}) {
        if (m->outcome != Outcome::kOk) m->message = "rank " + std::to_string(r) + ": " + Name(m->outcome);
      }
    }
    ranks[0].oop.message = mine.oop.message;  // rank 0 knows its own messages
    ranks[0].ip.message = mine.ip.message;
    Row row = CombineRanks(c, impl, variant, ranks, o.average);
    progress.Done();
    std::puts(TableRow(row, {}, layout).c_str());
    std::fputs(OutcomeNotes(row, &noted).c_str(), stdout);
    std::fflush(stdout);
    report.rows.push_back(std::move(row));
  }
  progress.Done();
  if (rank != 0) return 0;
  return FinishRun(report, o, {report.info.groups[0].Label()}, {});
}

}  // namespace chorus::bench
