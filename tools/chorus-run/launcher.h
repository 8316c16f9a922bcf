// Starting N local ranks and supervising them like mpirun: signals are forwarded, and when one rank
// fails the others are stopped after a grace period and the launcher exits with that rank's code.
#pragma once

#include <string>
#include <vector>

namespace chorus::run {

struct LaunchOptions {
  int nranks = 0;
  double timeout_s = 0;      // 0: no limit; else the whole job is stopped and we exit 124
  double grace_s = 2.0;      // after a failure: wait this long, then SIGTERM, this long again, SIGKILL
  std::string root_host = "127.0.0.1";
  bool verbose = false;
  std::vector<std::string> command;  // program and its arguments
};

// Runs the job; returns the launcher's exit code.
int Launch(const LaunchOptions& opts);

}  // namespace chorus::run
