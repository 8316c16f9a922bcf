#include "chorus-bench/floor_backend.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "chorus-bench/check.h"

namespace chorus::bench {
namespace {

#if defined(__SSE2__)
// Bytes before `p` reaches 16-byte alignment, at most n: written with ordinary stores.
std::size_t HeadTo16(const char* p, std::size_t n) {
  return std::min(n, (16 - reinterpret_cast<std::uintptr_t>(p) % 16) % 16);
}
#endif

// Non-temporal stores of 16-byte units (SSE2 is part of x86-64); elsewhere memcpy, which is then
// the floor's only copy.
void StreamCopy(char* dst, const char* src, std::size_t n) {
#if defined(__SSE2__)
  std::size_t i = 0;
  // Head up to dst's 16-byte alignment, then whole units, then the tail.
  const std::size_t head = HeadTo16(dst, n);
  std::memcpy(dst, src, head);
  for (i = head; i + 64 <= n; i += 64) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 16));
    const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 32));
    const __m128i d = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 48));
    _mm_stream_si128(reinterpret_cast<__m128i*>(dst + i), a);
    _mm_stream_si128(reinterpret_cast<__m128i*>(dst + i + 16), b);
    _mm_stream_si128(reinterpret_cast<__m128i*>(dst + i + 32), c);
    _mm_stream_si128(reinterpret_cast<__m128i*>(dst + i + 48), d);
  }
  _mm_sfence();
  std::memcpy(dst + i, src + i, n - i);
#else
  std::memcpy(dst, src, n);
#endif
}

// Zeros, with non-temporal stores where there are any.
void StreamZero(char* dst, std::size_t n) {
#if defined(__SSE2__)
  const std::size_t head = HeadTo16(dst, n);
  std::memset(dst, 0, head);
  std::size_t i = head;
  const __m128i z = _mm_setzero_si128();
  for (; i + 16 <= n; i += 16) _mm_stream_si128(reinterpret_cast<__m128i*>(dst + i), z);
  _mm_sfence();
  std::memset(dst + i, 0, n - i);
#else
  std::memset(dst, 0, n);
#endif
}

void Copy(char* dst, const char* src, std::size_t n, bool streaming) {
  if (streaming) {
    StreamCopy(dst, src, n);
  } else {
    std::memcpy(dst, src, n);
  }
}

// Reads every byte once; the sum is kept so the loads cannot be dropped.
uint64_t ReadAll(const char* p, std::size_t n) {
  uint64_t sum = 0;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v;
    std::memcpy(&v, p + i, 8);
    sum += v;
  }
  for (; i < n; ++i) sum += static_cast<unsigned char>(p[i]);
  return sum;
}

// Per thread: rank threads of one process each keep their own.
thread_local volatile uint64_t t_sink;

}  // namespace

FloorTraffic FloorTrafficOf(const Case& c, int rank, int nranks) {
  const std::size_t es = SizeOf(c.dtype);
  FloorTraffic t{InputElems(c) * es, OutputElems(c, rank, nranks) * es};
  // A broadcast's other ranks only receive.
  if (c.coll == Coll::kBroadcast && rank != c.root) t.read = 0;
  return t;
}

void FloorCopy(void* dst, std::size_t write, const void* src, std::size_t read, bool streaming) {
  char* out = static_cast<char*>(dst);
  const char* in = static_cast<const char*>(src);
  const std::size_t both = std::min(read, write);
  Copy(out, in, both, streaming);
  if (write > both) {
    if (read == 0) {
      if (streaming) {
        StreamZero(out, write);
      } else {
        std::memset(out, 0, write);
      }
      return;
    }
    // The rest of the output repeats the input (an all-gather writes n times what it reads).
    for (std::size_t at = both; at < write; at += read) Copy(out + at, in, std::min(read, write - at), streaming);
  }
  if (read > both) t_sink = t_sink + ReadAll(in + both, read - both);
}

std::string FloorBackend::version() const {
  return std::string("each rank reads its input and writes its output once, ") +
         (serial_ ? "one rank after another" : "all ranks at once") + " (memcpy or streaming stores, the faster)";
}

CallStatus FloorBackend::Supports(const Case& c, bool in_place) const {
  (void)c;
  if (in_place) return CallStatus::Unsupported("the floor is measured out of place");
  return CallStatus::Ok();
}

void FloorBackend::Choose(const Case& c, const CallBuffers& b, const FloorTraffic& t) {
  // Each copy timed in a steady state of its own (three in a row, the best of the last two: a
  // streaming copy leaves the output out of the cache, which the first memcpy after it would pay
  // for); the faster is kept for the case.
  double best[2] = {1e300, 1e300};
  for (int streaming = 0; streaming < 2; ++streaming) {
    for (int i = 0; i < 3; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      FloorCopy(b.recv, t.write, b.send, t.read, streaming == 1);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (i > 0) best[streaming] = std::min(best[streaming], s);
    }
  }
  streaming_ = best[1] < best[0];
  chosen_case_ = c.index;
}

CallStatus FloorBackend::Run(const Case& c, const CallBuffers& b) {
  const FloorTraffic t = FloorTrafficOf(c, rank(), nranks());
  // The choice is made in the case's first call (the checked call, which is not timed), in the
  // conditions the copy is then timed in: all ranks at once, or alone in the rank's turn.
  if (!serial_) {
    if (chosen_case_ != c.index) Choose(c, b, t);
    FloorCopy(b.recv, t.write, b.send, t.read, streaming_);
    // A call lasts until the slowest rank's copy is done, as a collective does, and the ranks
    // stay together, so every copy runs while the others run theirs.
    return inner_.Barrier();
  }
  for (int turn = 0; turn < nranks(); ++turn) {
    const CallStatus s = inner_.Barrier();
    if (!s.ok()) return s;
    if (turn != rank()) continue;
    if (chosen_case_ != c.index) Choose(c, b, t);
    FloorCopy(b.recv, t.write, b.send, t.read, streaming_);
  }
  return inner_.Barrier();
}

void FloorBackend::EndCase() {
  chosen_case_ = -1;
  inner_.EndCase();
}

}  // namespace chorus::bench
