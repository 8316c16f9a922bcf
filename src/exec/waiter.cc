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

struct BackoffTuning {
  uint64_t spin_rounds;
  uint64_t yield_rounds;
};

const BackoffTuning& Tuning() {
  static const BackoffTuning t{
      static_cast<uint64_t>(EnvInt("CHORUS_SPIN_ROUNDS", 2000)),
      static_cast<uint64_t>(EnvInt("CHORUS_YIELD_ROUNDS", 2000)),
  };
  return t;
}
}  // namespace

void Backoff::Pause() {
  const BackoffTuning& t = Tuning();
  ++idle_rounds_;
  if (idle_rounds_ <= t.spin_rounds) {
    CpuRelax();
  } else if (idle_rounds_ <= t.spin_rounds + t.yield_rounds) {
    sched_yield();
  } else {
    timespec ts{0, 50 * 1000};  // 50 us: short enough for latency, long enough to free the core
    nanosleep(&ts, nullptr);
  }
}

}  // namespace chorus
