// Waiting without starving peers on an oversubscribed machine: spin briefly (the fast path when
// a peer is running on another core), then yield the core, then sleep in short naps.
#pragma once

#include <cstdint>

namespace chorus {

class Backoff {
 public:
  // Called after a round that made no progress.
  void Pause();
  // Called after a round that made progress.
  void Reset() { idle_rounds_ = 0; }

 private:
  uint64_t idle_rounds_ = 0;
};

}  // namespace chorus
