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

BackoffPolicy BackoffPolicy::For(int local_ranks) {
  BackoffPolicy p;
  if (local_ranks > UsableCores()) {
    p.spin_rounds = 16;
    p.yield_rounds = 200000;
  }
  p.spin_rounds = static_cast<uint64_t>(EnvInt("CHORUS_SPIN_ROUNDS", static_cast<int64_t>(p.spin_rounds)));
  p.yield_rounds = static_cast<uint64_t>(EnvInt("CHORUS_YIELD_ROUNDS", static_cast<int64_t>(p.yield_rounds)));
  return p;
}

void Backoff::Pause() {
  ++idle_rounds_;
  if (idle_rounds_ <= policy_.spin_rounds) {
    CpuRelax();
  } else if (idle_rounds_ <= policy_.spin_rounds + policy_.yield_rounds) {
    sched_yield();
  } else {
    timespec ts{0, 50 * 1000};  // 50 us: short enough for latency, long enough to free the core
    nanosleep(&ts, nullptr);
  }
}

}  // namespace chorus
