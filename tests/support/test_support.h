// Running real ranks in tests: as threads of this process or as forked processes.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "chorus/chorus.h"

namespace chorus::testing {

enum class RankMode { kThreads, kProcesses };
const char* Name(RankMode m);

// A rank's body: returns "" on success or a description of what went wrong.
using RankBody = std::function<std::string(int rank, int nranks, const chorusUniqueId& id)>;

// Runs `nranks` ranks of `body` with a fresh unique id and waits for all of them (at most
// `timeout_s`; stragglers are killed and reported). Returns "" when every rank succeeded, else
// each failing rank's message.
// With `pids`, the ranks' process ids (processes mode) are stored there.
std::string RunRanks(int nranks, RankMode mode, const RankBody& body, int timeout_s = 120,
                     std::vector<int>* pids = nullptr);

// The shared-memory segments (/dev/shm/chorus-<creator pid>-...) that processes `ranks` created and
// that still exist: "" when none leaked. Names separated by spaces.
std::string LeakedSegments(const std::vector<int>& ranks);

// Sets (or with nullptr unsets) an environment variable for a scope, restoring it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_, old_;
  bool had_ = false;
};

// Deterministic pseudo-random numbers (splitmix64) for reproducible sweeps.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  uint64_t Below(uint64_t n) { return Next() % n; }

 private:
  uint64_t state_;
};

}  // namespace chorus::testing
