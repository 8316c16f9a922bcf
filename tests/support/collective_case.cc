#include "support/collective_case.h"

#include <cstring>
#include <vector>

#include "support/reference.h"

namespace chorus::testing {

namespace {
constexpr uint8_t kGuard = 0xA5;
constexpr size_t kGuardBytes = 64;

}  // namespace

std::string Describe(const Case& c, int nranks) {
  return std::string(Name(c.coll)) + " " + Name(c.type) + " " + Name(c.op) + " count=" +
         std::to_string(c.count) + " nranks=" + std::to_string(nranks) + (c.in_place ? " in-place" : " out-of-place") +
         " root=" + std::to_string(c.root) + " misalign=" + std::to_string(c.misalign) +
         " seed=" + std::to_string(c.seed);
}

bool Reduces(Collective c) {
  return c == Collective::kAllReduce || c == Collective::kReduceScatter || c == Collective::kReduce;
}

// The value rank r holds at input index i (non-reducing collectives use the min/max pattern: it
// has more distinct values, so a misplaced block is caught).
double In(const Case& c, int r, size_t i) {
  return InputValue(c.type, Reduces(c.coll) ? c.op : ReduceOp::kMax, r, i, c.seed);
}

chorusResult_t Call(const Case& c, chorusComm_t comm, const void* in, void* out) {
  auto t = static_cast<chorusDataType_t>(c.type);
  auto op = static_cast<chorusRedOp_t>(c.op);
  switch (c.coll) {
    case Collective::kAllReduce: return chorusAllReduce(in, out, c.count, t, op, comm, nullptr);
    case Collective::kAllGather: return chorusAllGather(in, out, c.count, t, comm, nullptr);
    case Collective::kReduceScatter: return chorusReduceScatter(in, out, c.count, t, op, comm, nullptr);
    case Collective::kAllToAll: return chorusAllToAll(in, out, c.count, t, comm, nullptr);
    case Collective::kBroadcast: return chorusBroadcast(in, out, c.count, t, c.root, comm, nullptr);
    case Collective::kReduce: return chorusReduce(in, out, c.count, t, op, c.root, comm, nullptr);
    default: return chorusInternalError;
  }
}

// Guarded bytes from the heap or from a shared window (chorusMemAlloc).
class Arena {
 public:
  Arena(size_t bytes, bool window) : bytes_(bytes), window_(window) {
    if (window_) {
      void* p = nullptr;
      if (chorusMemAlloc(&p, bytes_) == chorusSuccess) data_ = static_cast<uint8_t*>(p);
    } else {
      data_ = new uint8_t[bytes_];
    }
    if (data_ != nullptr) memset(data_, kGuard, bytes_);
  }
  ~Arena() {
    if (window_) {
      chorusMemFree(data_);
    } else {
      delete[] data_;
    }
  }
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  uint8_t* data() const { return data_; }
  size_t size() const { return bytes_; }

 private:
  size_t bytes_;
  bool window_;
  uint8_t* data_ = nullptr;
};

std::string RunCase(chorusComm_t comm, int rank, int n, const Case& c) {
  const size_t es = SizeOf(c.type);
  size_t in_elems = c.count, out_elems = c.count;
  if (c.coll == Collective::kAllGather) out_elems = c.count * n;
  if (c.coll == Collective::kReduceScatter) in_elems = c.count * n;
  if (c.coll == Collective::kAllToAll) in_elems = out_elems = c.count * n;

  // One arena per buffer with guards on both sides.
  Arena in_arena(in_elems * es + 2 * kGuardBytes + 8, c.shared_window);
  Arena out_arena(out_elems * es + 2 * kGuardBytes + 8, c.shared_window);
  if (in_arena.data() == nullptr || out_arena.data() == nullptr) {
    return Describe(c, n) + ": chorusMemAlloc failed: " + chorusGetLastError(nullptr);
  }
  uint8_t* in = in_arena.data() + kGuardBytes + c.misalign;
  uint8_t* out = out_arena.data() + kGuardBytes + c.misalign;
  for (size_t i = 0; i < in_elems; ++i) Encode(c.type, In(c, rank, i), in, i);

  const void* send = in;
  void* recv = out;
  uint8_t* result = out;
  size_t result_elems = out_elems;
  if (c.in_place) {
    switch (c.coll) {
      case Collective::kAllGather:
        memcpy(out + rank * c.count * es, in, c.count * es);
        send = out + rank * c.count * es;
        break;
      case Collective::kReduceScatter:
        recv = in + rank * c.count * es;
        result = in + rank * c.count * es;
        break;
      default:
        memcpy(out, in, in_elems * es);
        send = out;
        break;
    }
  }
  const bool has_output = !(c.coll == Collective::kReduce && rank != c.root);
  if (!has_output) recv = nullptr;
  if (c.coll == Collective::kReduce && c.in_place && !has_output) send = out;

  chorusResult_t r = Call(c, comm, send, recv);
  if (r != chorusSuccess) {
    return Describe(c, n) + ": " + chorusGetErrorString(r) + ": " + chorusGetLastError(comm);
  }
  if (!has_output) return "";

  std::vector<uint8_t> want(result_elems * es);
  for (size_t i = 0; i < result_elems; ++i) {
    switch (c.coll) {
      case Collective::kAllReduce:
      case Collective::kReduce: ReferenceReduce(c.type, c.op, n, i, c.seed, want.data(), i); break;
      case Collective::kReduceScatter:
        ReferenceReduce(c.type, c.op, n, rank * c.count + i, c.seed, want.data(), i);
        break;
      case Collective::kAllGather: Encode(c.type, In(c, static_cast<int>(i / c.count), i % c.count), want.data(), i); break;
      case Collective::kAllToAll: {
        int src = static_cast<int>(i / c.count);
        Encode(c.type, In(c, src, rank * c.count + i % c.count), want.data(), i);
        break;
      }
      case Collective::kBroadcast: Encode(c.type, In(c, c.root, i), want.data(), i); break;
      default: break;
    }
  }
  std::string diff = CompareElements(c.type, result, want.data(), result_elems);
  if (!diff.empty()) return Describe(c, n) + " on rank " + std::to_string(rank) + ": " + diff;
  // Nothing outside the output may change.
  const Arena& arena = (c.in_place && c.coll == Collective::kReduceScatter) ? in_arena : out_arena;
  const uint8_t* lo = arena.data();
  const uint8_t* body = (c.in_place && c.coll == Collective::kReduceScatter) ? in : out;
  const size_t body_bytes = ((c.in_place && c.coll == Collective::kReduceScatter) ? in_elems : out_elems) * es;
  for (const uint8_t* p = lo; p < body; ++p) {
    if (*p != kGuard) return Describe(c, n) + ": wrote before the output buffer";
  }
  for (const uint8_t* p = body + body_bytes; p < lo + arena.size(); ++p) {
    if (*p != kGuard) return Describe(c, n) + ": wrote past the output buffer";
  }
  return "";
}


std::string RingExchange(chorusComm_t comm, int rank, int n, size_t count, bool in_place, int misalign) {
  auto value = [](int from, size_t i) { return static_cast<int32_t>(from * 1000003 + i); };
  const size_t bytes = count * sizeof(int32_t);
  std::vector<unsigned char> send(bytes + misalign), recv(in_place ? 0 : bytes + misalign, 0xFF);
  for (size_t i = 0; i < count; ++i) {
    const int32_t v = value(rank, i);
    memcpy(send.data() + misalign + i * sizeof(v), &v, sizeof(v));
  }
  unsigned char* into = (in_place ? send.data() : recv.data()) + misalign;
  const int right = (rank + 1) % n, left = (rank + n - 1) % n;
  chorusGroupStart();
  if (!in_place) chorusRecv(into, count, chorusInt32, left, comm, nullptr);
  chorusSend(send.data() + misalign, count, chorusInt32, right, comm, nullptr);
  if (in_place) chorusRecv(into, count, chorusInt32, left, comm, nullptr);
  const std::string what = std::string(in_place ? "in-place " : "") + "ring exchange of " + std::to_string(count);
  if (chorusGroupEnd() != chorusSuccess) return what + ": " + chorusGetLastError(comm);
  for (size_t i = 0; i < count; ++i) {
    int32_t got = 0;
    memcpy(&got, into + i * sizeof(got), sizeof(got));
    if (got != value(left, i)) return what + " wrong at " + std::to_string(i);
  }
  return "";
}

}  // namespace chorus::testing
