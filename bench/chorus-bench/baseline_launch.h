// Starting the baseline binaries (../baselines) as implementations under the coordinator.
#pragma once

#include <memory>
#include <string>

#include "chorus-bench/options.h"
#include "chorus-bench/spawn.h"

namespace chorus::bench {

// chorus-bench-mpi under mpirun (loopback only, no binding, oversubscription allowed), and N
// processes of chorus-bench-gloo with one rendezvous directory; both found in `bin_dir`.
std::unique_ptr<GroupLauncher> MpiLauncher(const Options& o, int nranks, const std::string& bin_dir);
std::unique_ptr<GroupLauncher> GlooLauncher(const Options& o, int nranks, const std::string& variant,
                                            const std::string& bin_dir);

}  // namespace chorus::bench
