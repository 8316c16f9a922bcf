// chorus-micro-schedule: what building schedules costs.
//
// Three costs a user can meet, each per call signature, never per call (a communicator caches
// both the tuner's choice and the program; a loop of identical calls builds nothing):
//   generate/<algo>/<coll>/<ranks>   one rank's program (what a communicator builds on a miss)
//   verify/<algo>/<coll>/<ranks>     every rank's program built and checked by the verifier
//   choose/<coll>/<ranks>/<size>     the tuner's first decision: every applicable algorithm,
//                                    channel count and chunk size built for all ranks and timed
//                                    on the cost model
// Counters: steps (in the one program, or in all of them for verify), steps_per_s.
//
//   chorus-micro-schedule [--benchmark_filter=generate/ring] [--benchmark_min_time=0.2]
//
// Any generator, verifier or tuner error is reported on its case and makes the exit status 1, so
// the smoke test (tests/bench/tests.cmake) fails when a registered algorithm stops building.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "algorithms/registry.h"
#include "algorithms/schedule.h"
#include "algorithms/verifier.h"
#include "core/types.h"
#include "tune/link_model.h"
#include "tune/tuner.h"

namespace {

using chorus::Bytes;
using chorus::Collective;
using chorus::Count;
using chorus::Rank;
namespace sched = chorus::sched;
namespace tune = chorus::tune;

bool g_failed = false;

void Fail(benchmark::State& state, const chorus::Status& st) {
  g_failed = true;
  state.SkipWithError(st.message().c_str());
}

sched::CollArgs ArgsFor(Collective coll, int nranks, Bytes bytes) {
  sched::CollArgs a;
  a.coll = coll;
  a.nranks = nranks;
  a.elem_size = 4;
  // The size as chorus-bench counts it: all-gather/reduce-scatter/all-to-all their whole buffer,
  // so the per-rank count is bytes / nranks elements of 4 bytes.
  const Count elems = bytes / a.elem_size;
  const bool per_rank = coll == Collective::kAllGather || coll == Collective::kReduceScatter ||
                        coll == Collective::kAllToAll;
  a.count = per_rank ? std::max<Count>(1, elems / static_cast<Count>(nranks)) : elems;
  a.root = nranks > 1 ? 1 : 0;  // not rank 0: a root-relative schedule must rotate
  return a;
}

size_t StepsOf(const sched::RankProgram& p) {
  size_t n = 0;
  for (const auto& ch : p.channels) n += ch.steps.size();
  return n;
}

void BM_Generate(benchmark::State& state, const sched::Algorithm* algo, sched::CollArgs args) {
  // The middle rank: rank 0 is the root or the first of a chain for many generators.
  const Rank rank = args.nranks / 2;
  const sched::CollArgs mine = sched::ArgsForRank(args, rank);
  size_t steps = 0;
  for (auto _ : state) {
    sched::RankProgram program;
    const chorus::Status st = algo->generate(mine, rank, &program);
    if (!st.ok()) {
      Fail(state, st);
      return;
    }
    sched::MarkUnreadResults(mine, &program);
    steps = StepsOf(program);
    benchmark::DoNotOptimize(program);
  }
  state.counters["steps"] = static_cast<double>(steps);
  state.counters["steps_per_s"] =
      benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Verify(benchmark::State& state, const sched::Algorithm* algo, sched::CollArgs args) {
  size_t steps = 0;
  for (auto _ : state) {
    sched::VerifyStats stats;
    const chorus::Status st = sched::VerifyAlgorithm(*algo, args, &stats);
    if (!st.ok()) {
      Fail(state, st);
      return;
    }
    steps = stats.steps;
  }
  state.counters["steps"] = static_cast<double>(steps);
  state.counters["steps_per_s"] =
      benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Choose(benchmark::State& state, sched::CollArgs args) {
  const tune::LinkModel model = tune::DefaultHostModel();
  const tune::AlgoOverride none;
  std::string picked;
  for (auto _ : state) {
    tune::Choice choice;
    const chorus::Status st = tune::Choose(args, model, none, &choice);
    if (!st.ok()) {
      Fail(state, st);
      return;
    }
    picked = choice.algorithm->name;
    benchmark::DoNotOptimize(choice);
  }
  state.SetLabel(picked);
}

}  // namespace

int main(int argc, char** argv) {
  constexpr Collective kColls[] = {Collective::kAllReduce, Collective::kAllGather, Collective::kReduceScatter,
                                   Collective::kAllToAll,  Collective::kBroadcast, Collective::kReduce};
  // One program's size grows with the rank count (pairwise, Bruck) or with the size (pipelined
  // chains); 64 MiB makes the pipelined ones cut many chunks.
  constexpr int kGenerateRanks[] = {2, 8, 64, 512};
  constexpr int kVerifyRanks[] = {4, 16};
  constexpr int kChooseRanks[] = {2, 8, 64};
  constexpr Bytes kBig = Bytes{64} << 20;

  for (const sched::Algorithm& algo : sched::Algorithms()) {
    for (Collective coll : kColls) {
      for (int n : kGenerateRanks) {
        const sched::CollArgs args = ArgsFor(coll, n, kBig);
        if (!algo.applies(args)) continue;
        const std::string name = std::string("generate/") + algo.name + "/" + chorus::Name(coll) + "/" + std::to_string(n);
        benchmark::RegisterBenchmark(name.c_str(), BM_Generate, &algo, args);
      }
      for (int n : kVerifyRanks) {
        // Small enough that the verifier's symbolic execution stays in milliseconds.
        const sched::CollArgs args = ArgsFor(coll, n, Bytes{1} << 20);
        if (!algo.applies(args)) continue;
        const std::string name = std::string("verify/") + algo.name + "/" + chorus::Name(coll) + "/" + std::to_string(n);
        benchmark::RegisterBenchmark(name.c_str(), BM_Verify, &algo, args)->Unit(benchmark::kMillisecond);
      }
    }
  }
  for (Collective coll : kColls) {
    for (int n : kChooseRanks) {
      for (Bytes size : {Bytes{8} << 10, kBig}) {
        const std::string name =
            std::string("choose/") + chorus::Name(coll) + "/" + std::to_string(n) + "/" + tune::FormatBytes(static_cast<double>(size));
        benchmark::RegisterBenchmark(name.c_str(), BM_Choose, ArgsFor(coll, n, size))->Unit(benchmark::kMillisecond);
      }
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (g_failed) std::fprintf(stderr, "chorus-micro-schedule: some cases failed (see their error_message)\n");
  return g_failed ? 1 : 0;
}
