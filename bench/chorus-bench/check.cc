#include "chorus-bench/check.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "chorus-bench/numeric.h"

namespace chorus::bench {
namespace {

// Storage and conversions for each element type. Inputs are small integers (|v| <= 15 for floats,
// see pattern.h) so narrow floats encode through a small table.
template <DType D>
struct Traits;

#define CHORUS_BENCH_INT_TRAITS(D, T)                                  \
  template <>                                                          \
  struct Traits<D> {                                                   \
    using Storage = T;                                                 \
    static constexpr bool kFloat = false;                              \
    static Storage FromInt(int64_t v) { return static_cast<T>(v); }    \
    static double ToDouble(Storage s) { return static_cast<double>(s); } \
  };
CHORUS_BENCH_INT_TRAITS(DType::kInt8, int8_t)
CHORUS_BENCH_INT_TRAITS(DType::kUint8, uint8_t)
CHORUS_BENCH_INT_TRAITS(DType::kInt32, int32_t)
CHORUS_BENCH_INT_TRAITS(DType::kUint32, uint32_t)
CHORUS_BENCH_INT_TRAITS(DType::kInt64, int64_t)
CHORUS_BENCH_INT_TRAITS(DType::kUint64, uint64_t)
#undef CHORUS_BENCH_INT_TRAITS

template <>
struct Traits<DType::kFloat32> {
  using Storage = float;
  static constexpr bool kFloat = true;
  static Storage FromInt(int64_t v) { return static_cast<float>(v); }
  static double ToDouble(Storage s) { return s; }
};
template <>
struct Traits<DType::kFloat64> {
  using Storage = double;
  static constexpr bool kFloat = true;
  static Storage FromInt(int64_t v) { return static_cast<double>(v); }
  static double ToDouble(Storage s) { return s; }
};

// Narrow floats: decode through a full table, encode small integers through a table.
template <typename S, int kBits>
class Codec {
 public:
  explicit Codec(MiniFloat f) : format_(f), decode_(std::size_t{1} << kBits) {
    for (std::size_t b = 0; b < decode_.size(); ++b) decode_[b] = Decode(f, static_cast<uint32_t>(b));
    for (int v = -kSmall; v <= kSmall; ++v) encode_[v + kSmall] = static_cast<S>(Encode(f, v));
  }
  S FromInt(int64_t v) const {
    if (v >= -kSmall && v <= kSmall) return encode_[v + kSmall];
    return static_cast<S>(Encode(format_, static_cast<double>(v)));
  }
  double ToDouble(S s) const { return decode_[s]; }

 private:
  static constexpr int kSmall = 64;
  MiniFloat format_;
  std::vector<double> decode_;
  S encode_[2 * kSmall + 1];
};

#define CHORUS_BENCH_MINI_TRAITS(D, S, BITS, FORMAT)                             \
  template <>                                                                    \
  struct Traits<D> {                                                             \
    using Storage = S;                                                           \
    static constexpr bool kFloat = true;                                         \
    static const Codec<S, BITS>& C() {                                           \
      static const Codec<S, BITS> codec(FORMAT);                                 \
      return codec;                                                              \
    }                                                                            \
    static Storage FromInt(int64_t v) { return C().FromInt(v); }                 \
    static double ToDouble(Storage s) { return C().ToDouble(s); }                \
  };
CHORUS_BENCH_MINI_TRAITS(DType::kFloat16, uint16_t, 16, kHalf)
CHORUS_BENCH_MINI_TRAITS(DType::kBfloat16, uint16_t, 16, kBf16)
CHORUS_BENCH_MINI_TRAITS(DType::kF8e4m3, uint8_t, 8, kE4M3)
CHORUS_BENCH_MINI_TRAITS(DType::kF8e5m2, uint8_t, 8, kE5M2)
#undef CHORUS_BENCH_MINI_TRAITS

template <DType D, typename F>
void FillT(void* buf, std::size_t n, F value) {
  using Tr = Traits<D>;
  auto* p = static_cast<typename Tr::Storage*>(buf);
  for (std::size_t i = 0; i < n; ++i) p[i] = Tr::FromInt(value(i));
}

template <DType D, typename F>
int64_t CheckT(const void* buf, std::size_t n, F expected) {
  using Tr = Traits<D>;
  const auto* p = static_cast<const typename Tr::Storage*>(buf);
  int64_t wrong = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const Expected e = expected(i);
    if constexpr (Tr::kFloat) {
      const double got = Tr::ToDouble(p[i]);
      if (e.approximate) {
        if (!(std::fabs(got - e.value) <= e.tolerance)) ++wrong;
      } else if (!(got == static_cast<double>(e.exact))) {
        ++wrong;
      }
    } else {
      if (p[i] != Tr::FromInt(e.exact)) ++wrong;
    }
  }
  return wrong;
}

// Calls fn.template operator()<D>() for the runtime type t.
template <typename Fn>
auto Dispatch(DType t, Fn&& fn) {
  switch (t) {
    case DType::kInt8: return fn.template operator()<DType::kInt8>();
    case DType::kUint8: return fn.template operator()<DType::kUint8>();
    case DType::kInt32: return fn.template operator()<DType::kInt32>();
    case DType::kUint32: return fn.template operator()<DType::kUint32>();
    case DType::kInt64: return fn.template operator()<DType::kInt64>();
    case DType::kUint64: return fn.template operator()<DType::kUint64>();
    case DType::kFloat16: return fn.template operator()<DType::kFloat16>();
    case DType::kBfloat16: return fn.template operator()<DType::kBfloat16>();
    case DType::kFloat32: return fn.template operator()<DType::kFloat32>();
    case DType::kFloat64: return fn.template operator()<DType::kFloat64>();
    case DType::kF8e4m3: return fn.template operator()<DType::kF8e4m3>();
    case DType::kF8e5m2: return fn.template operator()<DType::kF8e5m2>();
  }
  return fn.template operator()<DType::kFloat32>();
}

void* AllocAligned(std::size_t bytes) {
  void* p = nullptr;
  const std::size_t rounded = ((bytes == 0 ? 1 : bytes) + 63) / 64 * 64;
  if (posix_memalign(&p, 64, rounded) != 0) return nullptr;
  return p;
}

Expected Exact(int64_t v) {
  Expected e;
  e.exact = v;
  return e;
}

}  // namespace

CaseBuffers::CaseBuffers(const Case& c, int rank, BufferMemory memory) : case_(c), rank_(rank), memory_(memory) {
  const std::size_t es = SizeOf(c.dtype);
  send_bytes_ = c.shape.send_elems * es;
  recv_bytes_ = c.shape.recv_elems * es;
  const bool own = memory_.alloc != nullptr && memory_.release != nullptr;
  if (!own) memory_ = BufferMemory{};
  send_ = own ? memory_.alloc(send_bytes_ == 0 ? 1 : send_bytes_) : AllocAligned(send_bytes_);
  recv_ = own ? memory_.alloc(recv_bytes_ == 0 ? 1 : recv_bytes_) : AllocAligned(recv_bytes_);
}

CaseBuffers::~CaseBuffers() {
  for (void* p : {send_, recv_}) {
    if (p == nullptr) continue;
    if (memory_.release != nullptr) {
      memory_.release(p);
    } else {
      std::free(p);
    }
  }
}

CallBuffers CaseBuffers::Call(bool in_place) const {
  if (!in_place) return {send_, recv_};
  const std::size_t slot = static_cast<std::size_t>(rank_) * case_.shape.count * SizeOf(case_.dtype);
  switch (case_.coll) {
    case Coll::kAllGather: return {static_cast<char*>(recv_) + slot, recv_};
    case Coll::kReduceScatter: return {send_, static_cast<char*>(send_) + slot};
    default: return {recv_, recv_};
  }
}

std::size_t InputElems(const Case& c) {
  switch (c.coll) {
    case Coll::kReduceScatter:
    case Coll::kAllToAll: return c.shape.send_elems;
    default: return c.shape.count;
  }
}

std::size_t OutputElems(const Case& c, int rank, int nranks) {
  switch (c.coll) {
    case Coll::kAllGather:
    case Coll::kAllToAll: return c.shape.count * static_cast<std::size_t>(nranks);
    case Coll::kReduce: return rank == c.root ? c.shape.count : 0;
    default: return c.shape.count;
  }
}

std::size_t CaseBuffers::input_elems() const { return InputElems(case_); }

std::size_t CaseBuffers::output_elems(int nranks) const { return OutputElems(case_, rank_, nranks); }

void CaseBuffers::Fill(const Pattern& p, int /*nranks*/, bool in_place) {
  const CallBuffers call = Call(in_place);
  // The sentinel first: in place, the input is then written over the part of it that is input.
  if (in_place) {
    if (case_.coll == Coll::kAllGather) std::memset(recv_, kSentinelByte, recv_bytes_);
  } else {
    std::memset(recv_, kSentinelByte, recv_bytes_);
  }
  const int rank = rank_;
  const std::size_t n = input_elems();
  Dispatch(case_.dtype, [&]<DType D>() {
    FillT<D>(call.send, n, [&](std::size_t i) { return p.Input(rank, i); });
  });
}

int64_t CaseBuffers::CountWrong(const Pattern& p, int nranks, bool in_place) const {
  const CallBuffers call = Call(in_place);
  const std::size_t n = output_elems(nranks);
  if (n == 0) return 0;
  const int rank = rank_;
  const std::size_t count = case_.shape.count;
  const int root = case_.root;
  return Dispatch(case_.dtype, [&]<DType D>() -> int64_t {
    switch (case_.coll) {
      case Coll::kAllReduce:
      case Coll::kReduce:
        return CheckT<D>(call.recv, n, [&](std::size_t k) { return p.Reduced(k); });
      case Coll::kReduceScatter:
        return CheckT<D>(call.recv, n, [&](std::size_t k) {
          return p.Reduced(static_cast<std::size_t>(rank) * count + k);
        });
      case Coll::kAllGather:
        return CheckT<D>(call.recv, n, [&](std::size_t k) {
          return Exact(p.Input(static_cast<int>(k / count), k % count));
        });
      case Coll::kAllToAll:
        return CheckT<D>(call.recv, n, [&](std::size_t k) {
          return Exact(p.Input(static_cast<int>(k / count), static_cast<std::size_t>(rank) * count + k % count));
        });
      case Coll::kBroadcast:
        return CheckT<D>(call.recv, n, [&](std::size_t k) { return Exact(p.Input(root, k)); });
      case Coll::kSendRecv: {
        const int from = (rank - 1 + nranks) % nranks;
        return CheckT<D>(call.recv, n, [&](std::size_t k) { return Exact(p.Input(from, k)); });
      }
    }
    return 0;
  });
}

void CaseBuffers::Corrupt(bool in_place) {
  const CallBuffers call = Call(in_place);
  if (case_.shape.count == 0 || (case_.coll == Coll::kReduce && rank_ != case_.root)) return;
  // Far from any tolerance: v -> -16v (0 -> 64); different from v in every type, wrapping included.
  const double v = LoadAsDouble(case_.dtype, call.recv, 0);
  StoreDouble(case_.dtype, call.recv, 0, v == 0.0 ? 64.0 : -16.0 * v);
}

}  // namespace chorus::bench
