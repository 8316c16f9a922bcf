#include "transports/shm/peer_distance.h"

#include <atomic>
#include <bit>
#include <algorithm>
#include <chrono>
#include <mutex>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define CHORUS_HAVE_TSC 1
#endif

namespace chorus::shm {

namespace {

uint64_t SteadyNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

// A (steady ns, ticks) pair read close together: the tick read bracketed by two clock reads, and
// retried when they lie more than 2 us apart (the thread was preempted between them).
struct ClockPair {
  uint64_t ns = 0;
  uint64_t ticks = 0;
};
bool ReadPair(ClockPair* out) {
  for (int attempt = 0; attempt < 4; ++attempt) {
    const uint64_t a = SteadyNs();
    const uint64_t t = ReadTicks();
    const uint64_t b = SteadyNs();
    if (b - a <= 2000) {
      *out = ClockPair{a + (b - a) / 2, t};
      return true;
    }
  }
  return false;
}

// Ticks per nanosecond in 1/1024ths; 0 until calibrated. Calibration takes two clock pairs
// 10 ms to 1 s apart (an older anchor is replaced: the span must not overflow the arithmetic),
// under a lock taken only until then.
constexpr uint64_t kCalibrationNs = 10'000'000, kAnchorMaxNs = 1'000'000'000;
std::atomic<uint64_t> ticks_per_ns_1024{0};
std::mutex calibration_mu;
ClockPair anchor;  // guarded by calibration_mu; ns == 0: none yet

}  // namespace

uint64_t ReadTicks() {
#ifdef CHORUS_HAVE_TSC
  _mm_lfence();
  const uint64_t t = __rdtsc();
  _mm_lfence();
  return t;
#else
  return SteadyNs();
#endif
}

uint64_t TicksIn(uint64_t ns) {
  uint64_t rate = ticks_per_ns_1024.load(std::memory_order_relaxed);
  if (rate == 0) {
    std::lock_guard<std::mutex> lock(calibration_mu);
    rate = ticks_per_ns_1024.load(std::memory_order_relaxed);
    if (rate == 0) {
      ClockPair now;
      if (!ReadPair(&now)) return 0;
      const uint64_t span = now.ns - anchor.ns;
      if (anchor.ns == 0 || span > kAnchorMaxNs || now.ticks <= anchor.ticks) {
        anchor = now;
        return 0;
      }
      if (span < kCalibrationNs) return 0;
      rate = std::max<uint64_t>(1, (now.ticks - anchor.ticks) * 1024 / span);
      ticks_per_ns_1024.store(rate, std::memory_order_relaxed);
    }
  }
  return ns * rate / 1024;
}

void PeerDistance::Sample(uint64_t ticks, uint64_t far_ticks) {
  if (far_ticks == 0) return;
  recent_ = (recent_ << 1) | (ticks > far_ticks ? 1u : 0u);
  if (count_ < 32) ++count_;
  if (count_ < 8) return;
  const uint32_t mask = count_ == 32 ? ~0u : (1u << count_) - 1;
  const int far_samples = std::popcount(recent_ & mask);
  // Hysteresis: a few slow loads (an interrupt, a descheduled peer) do not flip the verdict.
  if (!far_ && far_samples * 4 >= count_ * 3) far_ = true;
  if (far_ && far_samples * 4 <= count_) far_ = false;
}

}  // namespace chorus::shm
