// Waiting without starving peers on an oversubscribed machine: spin briefly (the fast path when
// a peer is running on another core), then yield the core, then sleep in short naps.
#pragma once

#include <cstdint>

namespace chorus {

struct BackoffPolicy {
  // Microseconds of busy polling, then of sched_yield polling, before 50 us naps. Long enough that
  // a peer a little late (a benchmark's bookkeeping, a page fault) is caught while still spinning.
  uint64_t spin_us = 200;
  uint64_t yield_us = 5000;
  // The policy for `local_ranks` ranks sharing this host's usable cores: when there are more ranks
  // than cores, a spinning rank takes the core its peer needs, so yield almost at once.
  // CHORUS_SPIN_US / CHORUS_YIELD_US override.
  static BackoffPolicy For(int local_ranks);
  // The same, given the cores the ranks share between them (0: this process's usable cores).
  static BackoffPolicy For(int local_ranks, int cores);
};

class Backoff {
 public:
  explicit Backoff(const BackoffPolicy& policy) : policy_(policy) {}
  // Called after a round that made no progress.
  void Pause();
  // Called after a round that made progress.
  void Reset() {
    idle_rounds_ = 0;
    idle_since_ns_ = 0;
  }

 private:
  BackoffPolicy policy_;
  uint64_t idle_rounds_ = 0;
  uint64_t idle_since_ns_ = 0;
  uint64_t now_ns_ = 0;
};

// Usable cores of this process (its affinity mask).
int UsableCores();

}  // namespace chorus
