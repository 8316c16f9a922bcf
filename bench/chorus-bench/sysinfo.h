// The machine a run happened on, printed with every table and written into JSON and CSV.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace chorus::bench {

struct SystemInfo {
  std::string host;
  std::string cpu_model;
  std::string kernel;  // "Linux 6.1.0-18-amd64 x86_64"
  int cores = 0;       // online logical CPUs
  std::string memory;  // "23.5 GiB"
  std::string load;    // /proc/loadavg's 1, 5 and 15 minute averages: how busy the machine was
};
SystemInfo GetSystemInfo();

// Environment variables whose names start with `prefix` (sorted), e.g. CHORUS_.
std::vector<std::pair<std::string, std::string>> EnvWithPrefix(const std::string& prefix);

// The command line as a shell would read it back ("a b 'c d'").
std::string ShellJoin(const std::vector<std::string>& argv);

}  // namespace chorus::bench
