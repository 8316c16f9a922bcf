// What a two-copy exchange through a shared-memory FIFO costs on this machine, next to one copy.
//
// Two processes, each pinned to its own CPU, swap 32 MiB through two single-producer FIFOs of 8
// slots x 64 KiB (the shm transport's geometry), as the host engine does for a 2-rank send/recv
// or the exchange half of an all-to-all: the sender copies into the peer's FIFO with memcpy, the
// receiver streams each slot into its result. Cases, interleaved over 40 rounds:
//   copy      each process streams 32 MiB src -> dst at once (the floor of any exchange)
//   single    each process streams the peer's 32 MiB, read straight from shared memory (what
//             buffers from chorusMemAlloc allow: one copy per byte moved)
//   exchange  the FIFO exchange, one slot pushed, one popped, in turn
//   fused     the same, each pop and push done in one interleaved loop
//   nt-push   the exchange with the sender's copy into the FIFO made with streaming stores
//   push-only / pop-only   the exchange with the receiver's or the sender's copy left out
// Before each round the two CPUs pass one cache line back and forth; the medians are printed per
// kind of round: "near" (round trip under 300 ns: the CPUs share a last-level cache) and "far"
// (across dies or sockets). On a VM the hypervisor may move the vCPUs between the two within
// seconds, and the cheapest exchange differs between them (docs/benchmarks.md, session 10).
// Build: g++ -O2 -march=native -o fifo_exchange fifo_exchange.cc
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
#include <vector>

namespace {

constexpr size_t kSlots = 8, kSlot = 64 << 10, kBytes = 32u << 20, kRounds = 40;

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

enum Case { kCopy, kSingle, kExchange, kFused, kNtPush, kPushOnly, kPopOnly, kCases };
const char* kNames[] = {"copy", "single", "exchange", "fused", "nt-push", "push-only", "pop-only"};

void Exchange(Case c, Fifo* out, Fifo* in, const char* src, const char* peer_src, char* dst) {
  if (c == kCopy || c == kSingle) {
    Stream(dst, c == kCopy ? src : peer_src, kBytes);
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
      if (c == kNtPush) {
        Stream(slot_out, src + sent * kSlot, kSlot);
      } else if (c != kPopOnly) {
        memcpy(slot_out, src + sent * kSlot, kSlot);
      }
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

// One cache line passed back and forth `trips` times; returns the time of one round trip.
double RoundTrip(Shared* sh, int me, int trips, int* ball) {
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < trips; ++i) {
    const int v = ++*ball;
    if (me == 0) {
      sh->ping.store(v, std::memory_order_release);
      while (sh->pong.load(std::memory_order_acquire) != v) {}
    } else {
      while (sh->ping.load(std::memory_order_acquire) != v) {}
      sh->pong.store(v, std::memory_order_release);
    }
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / trips;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
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
  // Both sources in shared memory, so that "single" can read the peer's.
  auto* sources = static_cast<char*>(mmap(nullptr, 2 * kBytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  if (sources == MAP_FAILED) return 1;
  const pid_t child = fork();
  const int me = child == 0 ? 1 : 0;
  Pin(me);
  char* src = sources + me * kBytes;
  const char* peer_src = sources + (1 - me) * kBytes;
  char* dst = static_cast<char*>(aligned_alloc(4096, kBytes));
  memset(src, me + 1, kBytes);
  memset(dst, 0, kBytes);
  static double t[kCases][kRounds];
  static double trip[kRounds];
  int phase = 0;
  int ball = 0;
  for (size_t r = 0; r < kRounds; ++r) {
    Wait(sh->barrier, &phase);
    trip[r] = RoundTrip(sh, me, 5000, &ball);
    for (int c = 0; c < kCases; ++c) {
      if (me == 0) sh->fifo[0].head = sh->fifo[0].tail = sh->fifo[1].head = sh->fifo[1].tail = 0;
      Wait(sh->barrier, &phase);
      const auto t0 = std::chrono::steady_clock::now();
      Exchange(static_cast<Case>(c), &sh->fifo[me], &sh->fifo[1 - me], src, peer_src, dst);
      t[c][r] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      Wait(sh->barrier, &phase);
    }
  }
  if (me == 1) return 0;
  waitpid(child, nullptr, 0);
  printf("32 MiB each way, 2 processes on CPUs 0 and 1, %zu rounds; medians in ms\n", kRounds);
  for (int near = 1; near >= 0; --near) {
    std::vector<double> trips;
    std::vector<std::vector<double>> times(kCases);
    for (size_t r = 0; r < kRounds; ++r) {
      if ((trip[r] < 300e-9) != (near == 1)) continue;
      trips.push_back(trip[r]);
      for (int c = 0; c < kCases; ++c) times[c].push_back(t[c][r]);
    }
    if (trips.empty()) continue;
    printf("%s rounds: %zu, cache-line round trip %.0f ns\n", near ? "near" : "far", trips.size(), Median(trips) * 1e9);
    for (int c = 0; c < kCases; ++c) printf("  %-10s %6.2f\n", kNames[c], Median(times[c]) * 1e3);
  }
  return 0;
}
