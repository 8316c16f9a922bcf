// Waiting without starving peers on an oversubscribed machine: spin briefly (the fast path when
// a peer is running on another core), then yield the core, then sleep in short naps.
#pragma once

#include <cstdint>

namespace chorus {

struct BackoffPolicy {
  uint64_t spin_rounds = 2000;   // busy polls before yielding
  uint64_t yield_rounds = 2000;  // sched_yield polls before napping
  // The policy for `local_ranks` ranks sharing this host's usable cores: when there are more ranks
  // than cores, a spinning rank takes the core its peer needs, so yield almost at once.
  // CHORUS_SPIN_ROUNDS / CHORUS_YIELD_ROUNDS override.
  static BackoffPolicy For(int local_ranks);
};

class Backoff {
 public:
  explicit Backoff(const BackoffPolicy& policy) : policy_(policy) {}
  // Called after a round that made no progress.
  void Pause();
  // Called after a round that made progress.
  void Reset() { idle_rounds_ = 0; }

 private:
  BackoffPolicy policy_;
  uint64_t idle_rounds_ = 0;
};

// Usable cores of this process (its affinity mask).
int UsableCores();

}  // namespace chorus
