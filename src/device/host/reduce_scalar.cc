// Scalar kernels. Elements are loaded and stored with memcpy so that no pointer needs alignment;
// each element is read before it is written, so dst may alias a or b exactly.
#include "device/host/reduce_scalar.h"

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "device/host/float_formats.h"
#include "device/host/scalar_ops.h"

namespace chorus::host::internal {
namespace {

template <typename T, typename Fn>
void BinaryLoop(void* dst, const void* a, const void* b, Count count, Fn fn) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* pa = static_cast<const unsigned char*>(a);
  const auto* pb = static_cast<const unsigned char*>(b);
  for (Count i = 0; i < count; ++i) {
    T x, y;
    std::memcpy(&x, pa + i * sizeof(T), sizeof(T));
    std::memcpy(&y, pb + i * sizeof(T), sizeof(T));
    const T r = fn(x, y);
    std::memcpy(d + i * sizeof(T), &r, sizeof(T));
  }
}

template <typename T, typename Fn>
void UnaryLoop(void* data, Count count, Fn fn) {
  auto* p = static_cast<unsigned char*>(data);
  for (Count i = 0; i < count; ++i) {
    T x;
    std::memcpy(&x, p + i * sizeof(T), sizeof(T));
    const T r = fn(x);
    std::memcpy(p + i * sizeof(T), &r, sizeof(T));
  }
}

// Native arithmetic types (integers, float, double).
template <typename T>
void ReduceNative(void* dst, const void* a, const void* b, Count count, ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum:
      return BinaryLoop<T>(dst, a, b, count, [](T x, T y) { return ops::Sum(x, y); });
    case ReduceOp::kProd:
      return BinaryLoop<T>(dst, a, b, count, [](T x, T y) { return ops::Prod(x, y); });
    case ReduceOp::kMin:
      return BinaryLoop<T>(dst, a, b, count, [](T x, T y) { return ops::Min(x, y); });
    case ReduceOp::kMax:
      return BinaryLoop<T>(dst, a, b, count, [](T x, T y) { return ops::Max(x, y); });
    case ReduceOp::kAvg:
      break;
  }
}

// Narrow floats: widen to float32, combine, round back once.
template <typename Bits, float (*kDecode)(Bits), Bits (*kEncode)(float)>
void ReduceNarrow(void* dst, const void* a, const void* b, Count count, ReduceOp op) {
  auto apply = [&](auto fn) {
    BinaryLoop<Bits>(dst, a, b, count, [fn](Bits x, Bits y) { return kEncode(fn(kDecode(x), kDecode(y))); });
  };
  switch (op) {
    case ReduceOp::kSum:
      return apply([](float x, float y) { return ops::Sum(x, y); });
    case ReduceOp::kProd:
      return apply([](float x, float y) { return ops::Prod(x, y); });
    case ReduceOp::kMin:
      return apply([](float x, float y) { return ops::Min(x, y); });
    case ReduceOp::kMax:
      return apply([](float x, float y) { return ops::Max(x, y); });
    case ReduceOp::kAvg:
      break;
  }
}

template <typename T>
void DivideNative(void* data, Count count, int divisor) {
  if constexpr (std::is_floating_point_v<T>) {
    const T div = static_cast<T>(divisor);
    UnaryLoop<T>(data, count, [div](T x) { return x / div; });
  } else if constexpr (std::is_signed_v<T>) {
    const int64_t div = divisor;
    UnaryLoop<T>(data, count, [div](T x) { return static_cast<T>(static_cast<int64_t>(x) / div); });
  } else {
    const uint64_t div = static_cast<uint64_t>(divisor);
    UnaryLoop<T>(data, count, [div](T x) { return static_cast<T>(static_cast<uint64_t>(x) / div); });
  }
}

template <typename Bits, float (*kDecode)(Bits), Bits (*kEncode)(float)>
void DivideNarrow(void* data, Count count, int divisor) {
  const float div = static_cast<float>(divisor);
  UnaryLoop<Bits>(data, count, [div](Bits x) { return kEncode(kDecode(x) / div); });
}

}  // namespace

void ReduceScalar(void* dst, const void* a, const void* b, Count count, DataType type, ReduceOp op) {
  switch (type) {
    case DataType::kInt8:
      return ReduceNative<int8_t>(dst, a, b, count, op);
    case DataType::kUint8:
      return ReduceNative<uint8_t>(dst, a, b, count, op);
    case DataType::kInt32:
      return ReduceNative<int32_t>(dst, a, b, count, op);
    case DataType::kUint32:
      return ReduceNative<uint32_t>(dst, a, b, count, op);
    case DataType::kInt64:
      return ReduceNative<int64_t>(dst, a, b, count, op);
    case DataType::kUint64:
      return ReduceNative<uint64_t>(dst, a, b, count, op);
    case DataType::kFloat32:
      return ReduceNative<float>(dst, a, b, count, op);
    case DataType::kFloat64:
      return ReduceNative<double>(dst, a, b, count, op);
    case DataType::kFloat16:
      return ReduceNarrow<uint16_t, fp::HalfToFloat, fp::FloatToHalf>(dst, a, b, count, op);
    case DataType::kBfloat16:
      return ReduceNarrow<uint16_t, fp::Bfloat16ToFloat, fp::FloatToBfloat16>(dst, a, b, count, op);
    case DataType::kFloat8e4m3:
      return ReduceNarrow<uint8_t, fp::Float8e4m3ToFloat, fp::FloatToFloat8e4m3>(dst, a, b, count, op);
    case DataType::kFloat8e5m2:
      return ReduceNarrow<uint8_t, fp::Float8e5m2ToFloat, fp::FloatToFloat8e5m2>(dst, a, b, count, op);
  }
}

void DivideByScalar(void* data, Count count, DataType type, int divisor) {
  if (divisor < 1) return;
  switch (type) {
    case DataType::kInt8:
      return DivideNative<int8_t>(data, count, divisor);
    case DataType::kUint8:
      return DivideNative<uint8_t>(data, count, divisor);
    case DataType::kInt32:
      return DivideNative<int32_t>(data, count, divisor);
    case DataType::kUint32:
      return DivideNative<uint32_t>(data, count, divisor);
    case DataType::kInt64:
      return DivideNative<int64_t>(data, count, divisor);
    case DataType::kUint64:
      return DivideNative<uint64_t>(data, count, divisor);
    case DataType::kFloat32:
      return DivideNative<float>(data, count, divisor);
    case DataType::kFloat64:
      return DivideNative<double>(data, count, divisor);
    case DataType::kFloat16:
      return DivideNarrow<uint16_t, fp::HalfToFloat, fp::FloatToHalf>(data, count, divisor);
    case DataType::kBfloat16:
      return DivideNarrow<uint16_t, fp::Bfloat16ToFloat, fp::FloatToBfloat16>(data, count, divisor);
    case DataType::kFloat8e4m3:
      return DivideNarrow<uint8_t, fp::Float8e4m3ToFloat, fp::FloatToFloat8e4m3>(data, count, divisor);
    case DataType::kFloat8e5m2:
      return DivideNarrow<uint8_t, fp::Float8e5m2ToFloat, fp::FloatToFloat8e5m2>(data, count, divisor);
  }
}

}  // namespace chorus::host::internal
