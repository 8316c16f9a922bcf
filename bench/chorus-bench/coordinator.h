// Runs several implementations on the same cases, interleaved: for each case, every implementation
// in turn (the order alternates from case to case so that drift of the machine does not favour
// one), each rank driven through its pipes (protocol.h). Prints the table as cases complete.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "chorus-bench/options.h"
#include "chorus-bench/report.h"
#include "chorus-bench/spawn.h"

namespace chorus::bench {

struct Group {
  GroupInfo info;  // info.version is filled from the ranks' ready lines when empty
  std::unique_ptr<GroupLauncher> launcher;
  // Rank 0 creates the communicator's unique id and the coordinator relays it (protocol.h).
  bool relay_uid = false;
};

// Returns the exit code (see FinishRun).
int Coordinate(const Options& o, int nranks, RunInfo info, std::vector<Group> groups);

}  // namespace chorus::bench
