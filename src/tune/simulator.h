// The cost model: runs every rank's program in simulated time on a LinkModel and reports when
// the last rank finishes. Channels run concurrently, steps in a channel in order; a message's
// data starts to flow alpha after both its send is posted and its receive is reached. A transfer
// crosses resources (its link, the shared domain, the sender's and the receiver's endpoints, and
// the shared links the model lists for the pair: a NIC, a PCIe uplink, a spine),
// runs at the speed of the slowest and holds the matching fraction of each one's bandwidth while
// it runs; transfers that do not fit wait, in the order they become ready (bulk traffic then gets
// the throughput of fair sharing). Fused receive-and-forward steps start forwarding once one
// pipeline piece has arrived and finish no earlier than one piece after their input does.
// A switch reduction holds every rank's switch port (one per rank, whatever the channel) and
// the switch's aggregate bandwidth while its bytes stream. Reductions stream with the data (a receive that reduces is bound by the slower of the two);
// local copies and reductions take bytes times their per-byte cost. The executor's
// write-after-send waits are not modelled (the verifier covers their correctness).
#pragma once

#include <vector>

#include "algorithms/registry.h"
#include "algorithms/schedule.h"
#include "core/status.h"
#include "tune/link_model.h"

namespace chorus::tune {

struct SimResult {
  double seconds = 0;
  size_t messages = 0;
  double bytes_sent = 0;
};

// programs[r] is rank r's program for sched::ArgsForRank(args, r).
Status Simulate(const sched::CollArgs& args, const std::vector<sched::RankProgram>& programs,
                const LinkModel& model, SimResult* out);

// Generates every rank's program with `algorithm` and simulates it.
Status EstimateAlgorithm(const sched::Algorithm& algorithm, const sched::CollArgs& args,
                         const LinkModel& model, SimResult* out);

}  // namespace chorus::tune
