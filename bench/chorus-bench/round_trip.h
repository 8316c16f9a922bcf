// How far apart the CPUs a run uses are: the round trip of one cache line between two of them.
//
// On a virtual machine the hypervisor may place two vCPUs on cores that share a cache or on cores
// that do not, and move them between runs; every shared-memory figure moves with it (on the
// build VM, ~110 ns against ~530 ns, with small-message latencies and Open MPI's large-message
// times shifting by up to 2x). The header prints it so that runs are compared with like runs.
#pragma once

#include <string>

namespace chorus::bench {

// Median of a few batches of ping-pongs between two threads pinned to the first two CPUs this
// process may use, as "113 ns (CPUs 0 and 1)"; "n/a (...)" with one CPU or when pinning fails.
// Takes a few milliseconds.
std::string CpuRoundTrip();

}  // namespace chorus::bench
