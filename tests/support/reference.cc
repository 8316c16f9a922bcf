#include "support/reference.h"

#include <cmath>
#include <cstring>

#include "device/host/reduce.h"

namespace chorus::testing {

namespace {
uint64_t Hash(uint64_t a, uint64_t b, uint64_t c) {
  uint64_t z = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull) * 0xBF58476D1CE4E5B9ull ^ c;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
bool IsUnsigned(DataType t) {
  return t == DataType::kUint8 || t == DataType::kUint32 || t == DataType::kUint64;
}
}  // namespace

void Encode(DataType type, double v, void* buf, size_t i) {
  char* p = static_cast<char*>(buf) + i * SizeOf(type);
  auto put = [&](auto x) { memcpy(p, &x, sizeof(x)); };
  int64_t iv = static_cast<int64_t>(v);
  switch (type) {
    case DataType::kInt8: put(static_cast<int8_t>(iv)); break;
    case DataType::kUint8: put(static_cast<uint8_t>(iv)); break;
    case DataType::kInt32: put(static_cast<int32_t>(iv)); break;
    case DataType::kUint32: put(static_cast<uint32_t>(iv)); break;
    case DataType::kInt64: put(static_cast<int64_t>(iv)); break;
    case DataType::kUint64: put(static_cast<uint64_t>(iv)); break;
    case DataType::kFloat16: put(host::FloatToHalf(static_cast<float>(v))); break;
    case DataType::kBfloat16: put(host::FloatToBfloat16(static_cast<float>(v))); break;
    case DataType::kFloat32: put(static_cast<float>(v)); break;
    case DataType::kFloat64: put(v); break;
    case DataType::kFloat8e4m3: put(host::FloatToFloat8e4m3(static_cast<float>(v))); break;
    case DataType::kFloat8e5m2: put(host::FloatToFloat8e5m2(static_cast<float>(v))); break;
  }
}

double Decode(DataType type, const void* buf, size_t i) {
  const char* p = static_cast<const char*>(buf) + i * SizeOf(type);
  auto get = [&](auto x) { memcpy(&x, p, sizeof(x)); return x; };
  switch (type) {
    case DataType::kInt8: return get(int8_t{});
    case DataType::kUint8: return get(uint8_t{});
    case DataType::kInt32: return get(int32_t{});
    case DataType::kUint32: return get(uint32_t{});
    case DataType::kInt64: return static_cast<double>(get(int64_t{}));
    case DataType::kUint64: return static_cast<double>(get(uint64_t{}));
    case DataType::kFloat16: return host::HalfToFloat(get(uint16_t{}));
    case DataType::kBfloat16: return host::Bfloat16ToFloat(get(uint16_t{}));
    case DataType::kFloat32: return get(float{});
    case DataType::kFloat64: return get(double{});
    case DataType::kFloat8e4m3: return host::Float8e4m3ToFloat(get(uint8_t{}));
    case DataType::kFloat8e5m2: return host::Float8e5m2ToFloat(get(uint8_t{}));
  }
  return 0;
}

std::vector<uint8_t> Bytes(DataType type, double v) {
  std::vector<uint8_t> b(SizeOf(type));
  Encode(type, v, b.data(), 0);
  return b;
}

double InputValue(DataType type, ReduceOp op, int rank, size_t i, uint64_t seed) {
  uint64_t h = Hash(seed, static_cast<uint64_t>(rank), i);
  switch (op) {
    case ReduceOp::kSum:
    case ReduceOp::kAvg:
      // Partial sums of 8 ranks must stay exact: <= 16 for e4m3 and wider, <= 8 for e5m2.
      return static_cast<double>(h % (type == DataType::kFloat8e5m2 ? 2 : 3));
    case ReduceOp::kProd: {
      if (IsUnsigned(type)) return (h % 2) ? 2.0 : 1.0;
      static const double kChoices[] = {-1.0, 1.0, 2.0};
      return kChoices[h % 3];
    }
    case ReduceOp::kMin:
    case ReduceOp::kMax: {
      const bool fp8 = type == DataType::kFloat8e4m3 || type == DataType::kFloat8e5m2;
      double v = static_cast<double>(h % (fp8 ? 9 : 17));  // exact in every type
      return IsUnsigned(type) ? v : v - (fp8 ? 4.0 : 8.0);
    }
  }
  return 0;
}

void ReferenceReduce(DataType type, ReduceOp op, int nranks, size_t i, uint64_t seed, void* out, size_t out_i) {
  double acc = InputValue(type, op, 0, i, seed);
  for (int r = 1; r < nranks; ++r) {
    double v = InputValue(type, op, r, i, seed);
    switch (op) {
      case ReduceOp::kSum:
      case ReduceOp::kAvg: acc += v; break;
      case ReduceOp::kProd: acc *= v; break;
      case ReduceOp::kMin: acc = std::min(acc, v); break;
      case ReduceOp::kMax: acc = std::max(acc, v); break;
    }
  }
  if (op != ReduceOp::kAvg) {
    Encode(type, acc, out, out_i);
    return;
  }
  // avg = the (exact) sum, divided as docs/numerics.md says: integers truncate; float64 divides in
  // double; every other float divides in float32 and rounds once to its type.
  switch (type) {
    case DataType::kFloat64: Encode(type, acc / nranks, out, out_i); break;
    case DataType::kFloat32:
    case DataType::kFloat16:
    case DataType::kBfloat16:
    case DataType::kFloat8e4m3:
    case DataType::kFloat8e5m2: {
      float q = static_cast<float>(acc) / static_cast<float>(nranks);
      Encode(type, q, out, out_i);
      break;
    }
    default: {
      // Integer sums here never wrap (<= 16), so truncating division of the exact sum is the answer.
      int64_t s = static_cast<int64_t>(acc);
      Encode(type, static_cast<double>(s / nranks), out, out_i);
      break;
    }
  }
}

std::string CompareElements(DataType type, const void* got, const void* want, size_t count) {
  const size_t es = SizeOf(type);
  size_t bad = 0, first = 0;
  const auto* g = static_cast<const uint8_t*>(got);
  const auto* w = static_cast<const uint8_t*>(want);
  for (size_t i = 0; i < count; ++i) {
    if (memcmp(g + i * es, w + i * es, es) != 0) {
      if (bad++ == 0) first = i;
    }
  }
  if (bad == 0) return "";
  return std::to_string(bad) + " of " + std::to_string(count) + " elements wrong; first at " +
         std::to_string(first) + ": got " + std::to_string(Decode(type, got, first)) + ", want " +
         std::to_string(Decode(type, want, first));
}

}  // namespace chorus::testing
