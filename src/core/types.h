// Vocabulary types shared by every layer.
#pragma once

#include <cstddef>
#include <cstdint>

#include "chorus/chorus.h"

namespace chorus {

using Rank = int;
using Bytes = std::size_t;
using Count = std::size_t;  // elements

enum class DataType : int {
  kInt8 = chorusInt8,
  kUint8 = chorusUint8,
  kInt32 = chorusInt32,
  kUint32 = chorusUint32,
  kInt64 = chorusInt64,
  kUint64 = chorusUint64,
  kFloat16 = chorusFloat16,
  kBfloat16 = chorusBfloat16,
  kFloat32 = chorusFloat32,
  kFloat64 = chorusFloat64,
  kFloat8e4m3 = chorusFloat8e4m3,
  kFloat8e5m2 = chorusFloat8e5m2,
};
constexpr int kNumDataTypes = chorusNumTypes;

enum class ReduceOp : int {
  kSum = chorusSum,
  kProd = chorusProd,
  kMin = chorusMin,
  kMax = chorusMax,
  kAvg = chorusAvg,
};
constexpr int kNumReduceOps = chorusNumOps;

enum class Collective : int {
  kAllReduce,
  kAllGather,
  kReduceScatter,
  kAllToAll,
  kBroadcast,
  kReduce,
  kSendRecv,  // point-to-point (a group of sends and receives)
  kBarrier,
};
constexpr int kNumCollectives = 8;

inline bool IsValid(DataType t) { return static_cast<int>(t) >= 0 && static_cast<int>(t) < kNumDataTypes; }
inline bool IsValid(ReduceOp o) { return static_cast<int>(o) >= 0 && static_cast<int>(o) < kNumReduceOps; }

// Bytes per element.
inline Bytes SizeOf(DataType t) {
  switch (t) {
    case DataType::kInt8:
    case DataType::kUint8:
    case DataType::kFloat8e4m3:
    case DataType::kFloat8e5m2: return 1;
    case DataType::kFloat16:
    case DataType::kBfloat16: return 2;
    case DataType::kInt32:
    case DataType::kUint32:
    case DataType::kFloat32: return 4;
    case DataType::kInt64:
    case DataType::kUint64:
    case DataType::kFloat64: return 8;
  }
  return 0;
}

const char* Name(DataType t);     // "float32", "bfloat16", "float8e4m3", ...
const char* Name(ReduceOp o);     // "sum", "prod", "min", "max", "avg"
const char* Name(Collective c);   // "allreduce", "allgather", ...
// Parses the names above (and nccl-tests' short forms: float, half, bf16, int, ...); false if unknown.
bool ParseDataType(const char* s, DataType* out);
bool ParseReduceOp(const char* s, ReduceOp* out);
bool ParseCollective(const char* s, Collective* out);

}  // namespace chorus
