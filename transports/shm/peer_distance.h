// Whether a peer's core is near this one (the two share a last-level cache) or far (another die
// or socket), judged from the FIFO's own traffic: the sender times its load of the receiver's tail
// counter each time the counter has moved, which is one cache-line transfer from the receiver's
// core. On the build VM that load takes ~50 ns near and ~150 ns far, and the hypervisor moves the
// vCPUs between the two within seconds, so the verdict follows a sliding window of samples.
//
// Why it matters: a large message crossing dies is cheaper pushed into the FIFO with streaming
// stores (through memory, no line bouncing between dies), one between cores sharing a cache is
// cheaper pushed with plain stores (docs/benchmarks.md, session 10).
#pragma once

#include <cstdint>

namespace chorus::shm {

// Loads that take longer than this come from a far core.
constexpr uint64_t kFarLoadNs = 90;

// A cycle counter fenced so that two reads bracket the loads between them: the TSC on x86,
// steady_clock nanoseconds elsewhere.
uint64_t ReadTicks();
// `ns` nanoseconds in ReadTicks units, calibrated against steady_clock over 10 ms (to 1 s) between
// this process's first calls; 0 until then.
uint64_t TicksIn(uint64_t ns);

class PeerDistance {
 public:
  // One load of a line the peer had written since our last read took `ticks`; `far_ticks` is the
  // boundary (0: not known yet, and the sample is dropped).
  void Sample(uint64_t ticks, uint64_t far_ticks);
  bool far() const { return far_; }

 private:
  uint32_t recent_ = 0;  // the verdicts of the last 32 samples, one bit each (1: far)
  int count_ = 0;        // samples in recent_ (up to 32)
  bool far_ = false;
};

}  // namespace chorus::shm
