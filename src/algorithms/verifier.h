// The symbolic verifier: runs every rank's program with no processes and proves that the
// schedule does what the collective promises, under the executor's semantics (schedule.h):
// channels run concurrently, steps in a channel in order; messages per (sender, receiver,
// channel) match in FIFO order with equal counts; sends are asynchronous and a later write to a
// region a pending send still reads waits for that send to be received; receives block.
//
// It reports the first of: a malformed step (peer, bounds, counts), a write to kInput, kOutput
// touched without an output, two channels of a rank touching the same memory with one writing,
// reading uninitialised memory, reducing the same contribution twice, a finalize of a partial or
// already final value, mismatched message counts, deadlock, a send never received, and an output
// that differs from the collective's result (including ranks whose all-reduce results were
// reduced in different orders and so could differ in their bits). Each error names the rank,
// channel, step index and step.
#pragma once

#include <vector>

#include "algorithms/registry.h"
#include "algorithms/schedule.h"
#include "core/status.h"

namespace chorus::sched {

// The arguments rank `rank` passes to a generator for the call `args`: for kReduce only the root
// has an output.
CollArgs ArgsForRank(const CollArgs& args, Rank rank);

struct VerifyStats {
  size_t steps = 0;     // steps executed (empty ones skipped)
  size_t messages = 0;  // messages matched
};

// Verifies programs[r] (rank r's program for ArgsForRank(args, r)) for every rank.
Status VerifySchedule(const CollArgs& args, const std::vector<RankProgram>& programs,
                      VerifyStats* stats = nullptr);

// The same with each rank's own arguments (they may differ in in_place and has_output only: a
// call can be in place on some ranks and not on others).
Status VerifySchedule(const std::vector<CollArgs>& rank_args,
                      const std::vector<RankProgram>& programs, VerifyStats* stats = nullptr);

// Generates every rank's program with `algorithm` and verifies them.
Status VerifyAlgorithm(const Algorithm& algorithm, const CollArgs& args,
                       VerifyStats* stats = nullptr);

}  // namespace chorus::sched
