#include "transports/shm/peer_distance.h"

#include <atomic>
#include <bit>
#include <chrono>

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

// Ticks per nanosecond in 1/1024ths; 0 until calibrated. The anchor is the first call's clock
// pair; calibration takes the second pair at least kCalibrationNs later.
constexpr uint64_t kCalibrationNs = 2'000'000;
std::atomic<uint64_t> ticks_per_ns_1024{0};
std::atomic<uint64_t> anchor_ns{0};
std::atomic<uint64_t> anchor_ticks{0};

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
    const uint64_t now_ticks = ReadTicks();
    const uint64_t now = SteadyNs();
    uint64_t a_ns = anchor_ns.load(std::memory_order_acquire);
    if (a_ns == 0) {
      // The first caller sets the anchor (ticks first, then the time that publishes them).
      uint64_t expected = 0;
      anchor_ticks.store(now_ticks, std::memory_order_relaxed);
      anchor_ns.compare_exchange_strong(expected, now, std::memory_order_acq_rel);
      return 0;
    }
    if (now - a_ns < kCalibrationNs) return 0;
    const uint64_t a_ticks = anchor_ticks.load(std::memory_order_relaxed);
    if (now_ticks <= a_ticks) return 0;
    rate = (now_ticks - a_ticks) * 1024 / (now - a_ns);
    if (rate == 0) rate = 1;
    ticks_per_ns_1024.store(rate, std::memory_order_relaxed);
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
