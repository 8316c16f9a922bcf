#include "chorus-bench/round_trip.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace chorus::bench {
namespace {

bool PinTo(int cpu) {
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  return pthread_setaffinity_np(pthread_self(), sizeof(one), &one) == 0;
}

struct alignas(64) Line {
  std::atomic<int> value{0};
};

}  // namespace

std::string CpuRoundTrip() {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (sched_getaffinity(0, sizeof(mask), &mask) != 0) return "n/a (no affinity mask)";
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE && cpus.size() < 2; ++c) {
    if (CPU_ISSET(c, &mask)) cpus.push_back(c);
  }
  if (cpus.size() < 2) return "n/a (one CPU)";
  constexpr int kBatches = 7, kTrips = 2000;
  // Bounded: if the two threads end up on one CPU after all, each trip waits for a time slice.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  Line ping, pong;
  std::atomic<bool> pinned{true}, stop{false};
  std::thread echo;
  try {
    echo = std::thread([&] {
      if (!PinTo(cpus[1])) pinned = false;
      for (int i = 1; i <= kBatches * kTrips; ++i) {
        while (ping.value.load(std::memory_order_acquire) != i) {
          if (stop.load(std::memory_order_relaxed)) return;
        }
        pong.value.store(i, std::memory_order_release);
      }
    });
  } catch (const std::exception&) {
    return "n/a (no thread)";
  }
  // `mask` is this thread's own (sched_getaffinity(0)): put it back after pinning.
  if (!PinTo(cpus[0])) pinned = false;
  std::vector<double> ns;
  int i = 0;
  bool late = false;
  for (int b = 0; b < kBatches && !late; ++b) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int k = 0; k < kTrips; ++k) {
      ++i;
      ping.value.store(i, std::memory_order_release);
      for (int spins = 0; pong.value.load(std::memory_order_acquire) != i; ++spins) {
        if ((spins & 1023) == 1023 && std::chrono::steady_clock::now() > deadline) {
          late = true;
          break;
        }
      }
      if (late) break;
    }
    ns.push_back(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / kTrips);
  }
  stop = true;
  echo.join();
  pthread_setaffinity_np(pthread_self(), sizeof(mask), &mask);
  if (!pinned) return "n/a (cannot pin threads)";
  if (late) return "n/a (no answer within 200 ms: the CPUs are busy)";
  std::sort(ns.begin(), ns.end());
  return std::to_string(static_cast<long>(ns[ns.size() / 2] + 0.5)) + " ns (CPUs " + std::to_string(cpus[0]) +
         " and " + std::to_string(cpus[1]) + ")";
}

}  // namespace chorus::bench
