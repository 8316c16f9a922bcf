// Chorus' ranks under the coordinator: N processes of this binary (--ranks) or N threads of this
// process (--threads), one group per algorithm.
#pragma once

#include <memory>
#include <string>

#include "chorus-bench/options.h"
#include "chorus-bench/spawn.h"

namespace chorus::bench {

// CHORUS_ALGO's value for one algorithm: it applies to the measured collective only, so the
// benchmark's own barriers keep the library's choice.
std::string AlgoEnvValue(Coll c, const std::string& algo);

std::unique_ptr<GroupLauncher> ChorusProcessLauncher(const Options& o, int nranks, const std::string& algo);
std::unique_ptr<GroupLauncher> ChorusThreadLauncher(const Options& o, int nranks, const std::string& algo);

// A worker process started by ChorusProcessLauncher: CHORUS_RANK / CHORUS_WORLD_SIZE from the
// environment, the unique id relayed through the pipes. Returns the exit code.
int ChorusWorkerMain(const Options& o);

}  // namespace chorus::bench
