#include "exec/waiter.h"

#include <sched.h>
#include <time.h>

#include "core/env.h"

namespace chorus {

namespace {
#if defined(__x86_64__) || defined(__i386__)
inline void CpuRelax() { __builtin_ia32_pause(); }
#elif defined(__aarch64__)
inline void CpuRelax() { asm volatile("yield" ::: "memory"); }
#else
inline void CpuRelax() {}
#endif
}  // namespace

int UsableCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
  int n = CPU_COUNT(&set);
  return n > 0 ? n : 1;
}

BackoffPolicy BackoffPolicy::For(int local_ranks) { return For(local_ranks, 0); }

BackoffPolicy BackoffPolicy::For(int local_ranks, int cores) {
  BackoffPolicy p;
  if (local_ranks > (cores > 0 ? cores : UsableCores())) {
    p.spin_us = 0;
    p.yield_us = 100000;
  }
  p.spin_us = static_cast<uint64_t>(EnvInt("CHORUS_SPIN_US", static_cast<int64_t>(p.spin_us)));
  p.yield_us = static_cast<uint64_t>(EnvInt("CHORUS_YIELD_US", static_cast<int64_t>(p.yield_us)));
  return p;
}

namespace {
uint64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}
}  // namespace

void Backoff::Pause() {
  // The clock is read every 64 rounds only: polling rounds are tens of nanoseconds. A small
  // message usually arrives within the first rounds, so they do not read it at all.
  if (policy_.spin_us > 0 && idle_rounds_ < 64) {
    // Nor do they pause: a pause instruction lasts tens of nanoseconds on some cores, all of it
    // added to the latency of the message that lands during it.
    ++idle_rounds_;
    return;
  }
  if (idle_rounds_++ == 0 || idle_since_ns_ == 0) idle_since_ns_ = NowNs();
  if ((idle_rounds_ & 63) == 0 || policy_.spin_us == 0) now_ns_ = NowNs();
  const uint64_t idle_us = now_ns_ > idle_since_ns_ ? (now_ns_ - idle_since_ns_) / 1000 : 0;
  if (idle_us < policy_.spin_us) {
    // The scheduler may have put the peer we wait for on this very core: hand it the core now and
    // then, so that a wait costs it tens of microseconds rather than the whole spin.
    if ((idle_rounds_ & 255) == 0 && idle_us >= 20) {
      sched_yield();
    } else {
      CpuRelax();
    }
  } else if (idle_us < policy_.spin_us + policy_.yield_us) {
    sched_yield();
  } else {
    timespec ts{0, 50 * 1000};  // 50 us: short enough for latency, long enough to free the core
    nanosleep(&ts, nullptr);
  }
}

}  // namespace chorus
