// What a two-copy exchange through a shared-memory FIFO costs on this machine, next to one copy.
//
// Two processes, each pinned to its own CPU, swap 32 MiB through two single-producer FIFOs of 8
// slots x 64 KiB (the shm transport's geometry), as the host engine does for a 2-rank send/recv
// or the exchange half of an all-to-all: the sender copies into the peer's FIFO with memcpy, the
// receiver streams each slot into its result. Cases, interleaved over 15 rounds (median, min):
//   copy      each process streams 32 MiB src -> dst at once (one copy: the floor)
//   exchange  the FIFO exchange, one slot pushed, one popped, in turn
//   fused     the same, each pop and push done in one interleaved loop
//   push-only / pop-only   the exchange with the receiver's or the sender's copy left out
// and the round trip of one cache line between the two CPUs (same die: ~100 ns; across dies or
// sockets several hundred). Build: g++ -O2 -mavx2 -o fifo_exchange fifo_exchange.cc
// Figures from the build VM: docs/benchmarks.md, "Results on the build machine, session 9".
#include <immintrin.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

constexpr size_t kSlots = 8, kSlot = 64 << 10, kBytes = 32u << 20, kRounds = 15;

struct alignas(64) Fifo {
  std::atomic<uint64_t> head;
  alignas(64) std::atomic<uint64_t> tail;
  alignas(64) char data[kSlots * kSlot];
};

struct Shared {
  Fifo fifo[2];
  alignas(64) std::atomic<int> barrier;
  alignas(64) std::atomic<int> ping;
  alignas(64) std::atomic<int> pong;
};

void Stream(char* d, const char* s, size_t n) {
  for (size_t i = 0; i < n; i += 64) {
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + i));
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + i + 32));
    _mm256_stream_si256(reinterpret_cast<__m256i*>(d + i), a);
    _mm256_stream_si256(reinterpret_cast<__m256i*>(d + i + 32), b);
  }
  _mm_sfence();
}

// d1 = s1 streamed and d2 = s2 cached, interleaved line by line.
void Pair(char* d1, const char* s1, char* d2, const char* s2, size_t n) {
  for (size_t i = 0; i < n; i += 64) {
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s1 + i));
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s1 + i + 32));
    const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s2 + i));
    const __m256i e = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s2 + i + 32));
    _mm256_stream_si256(reinterpret_cast<__m256i*>(d1 + i), a);
    _mm256_stream_si256(reinterpret_cast<__m256i*>(d1 + i + 32), b);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(d2 + i), c);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(d2 + i + 32), e);
  }
  _mm_sfence();
}

enum Case { kCopy, kExchange, kFused, kPushOnly, kPopOnly, kCases };
const char* kNames[] = {"copy", "exchange", "fused", "push-only", "pop-only"};

void Exchange(Case c, Fifo* out, Fifo* in, const char* src, char* dst) {
  if (c == kCopy) {
    Stream(dst, src, kBytes);
    return;
  }
  const uint64_t n = kBytes / kSlot;
  uint64_t sent = 0, got = 0;
  while (sent < n || got < n) {
    const bool room = sent < n && sent - out->tail.load(std::memory_order_acquire) < kSlots;
    const bool data = got < n && in->head.load(std::memory_order_acquire) > got;
    char* slot_in = in->data + (got % kSlots) * kSlot;
    char* slot_out = out->data + (sent % kSlots) * kSlot;
    if (c == kFused && room && data) {
      Pair(dst + got * kSlot, slot_in, slot_out, src + sent * kSlot, kSlot);
      out->head.store(++sent, std::memory_order_release);
      in->tail.store(++got, std::memory_order_release);
      continue;
    }
    if (room) {
      if (c != kPopOnly) memcpy(slot_out, src + sent * kSlot, kSlot);
      out->head.store(++sent, std::memory_order_release);
    }
    if (data) {
      if (c != kPushOnly) Stream(dst + got * kSlot, slot_in, kSlot);
      in->tail.store(++got, std::memory_order_release);
    }
    if (!room && !data) _mm_pause();
  }
}

void Wait(std::atomic<int>& b, int* phase) {
  b.fetch_add(1);
  *phase += 2;
  while (b.load() < *phase) {}
}

void Pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0) perror("sched_setaffinity");
}

}  // namespace

int main() {
  auto* sh = static_cast<Shared*>(mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  if (sh == MAP_FAILED) return 1;
  const pid_t child = fork();
  const int me = child == 0 ? 1 : 0;
  Pin(me);
  char* src = static_cast<char*>(aligned_alloc(4096, kBytes));
  char* dst = static_cast<char*>(aligned_alloc(4096, kBytes));
  memset(src, me + 1, kBytes);
  memset(dst, 0, kBytes);
  static double t[kCases][kRounds];
  int phase = 0;
  for (size_t r = 0; r < kRounds; ++r) {
    for (int c = 0; c < kCases; ++c) {
      if (me == 0) sh->fifo[0].head = sh->fifo[0].tail = sh->fifo[1].head = sh->fifo[1].tail = 0;
      Wait(sh->barrier, &phase);
      const auto t0 = std::chrono::steady_clock::now();
      Exchange(static_cast<Case>(c), &sh->fifo[me], &sh->fifo[1 - me], src, dst);
      t[c][r] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      Wait(sh->barrier, &phase);
    }
  }
  // The cache-line round trip.
  const int kTrips = 200000;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 1; i <= kTrips; ++i) {
    if (me == 0) {
      sh->ping.store(i, std::memory_order_release);
      while (sh->pong.load(std::memory_order_acquire) != i) {}
    } else {
      while (sh->ping.load(std::memory_order_acquire) != i) {}
      sh->pong.store(i, std::memory_order_release);
    }
  }
  const double trip = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / kTrips;
  if (me == 1) return 0;
  waitpid(child, nullptr, 0);
  printf("32 MiB each way, 2 processes on CPUs 0 and 1, %zu rounds\n", kRounds);
  for (int c = 0; c < kCases; ++c) {
    std::sort(t[c], t[c] + kRounds);
    printf("%-10s median %6.2f ms  min %6.2f ms\n", kNames[c], t[c][kRounds / 2] * 1e3, t[c][0] * 1e3);
  }
  printf("cache-line round trip between the CPUs: %.0f ns\n", trip * 1e9);
  return 0;
}
