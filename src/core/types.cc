#include "core/types.h"

#include <cstring>
#include <strings.h>

namespace chorus {

namespace {
struct NamedType { const char* name; DataType type; };
constexpr NamedType kTypeNames[] = {
    {"int8", DataType::kInt8},           {"uint8", DataType::kUint8},
    {"int32", DataType::kInt32},         {"uint32", DataType::kUint32},
    {"int64", DataType::kInt64},         {"uint64", DataType::kUint64},
    {"float16", DataType::kFloat16},     {"bfloat16", DataType::kBfloat16},
    {"float32", DataType::kFloat32},     {"float64", DataType::kFloat64},
    {"float8e4m3", DataType::kFloat8e4m3}, {"float8e5m2", DataType::kFloat8e5m2},
    // nccl-tests' spellings
    {"char", DataType::kInt8},           {"int", DataType::kInt32},
    {"half", DataType::kFloat16},        {"fp16", DataType::kFloat16},
    {"bf16", DataType::kBfloat16},       {"float", DataType::kFloat32},
    {"fp32", DataType::kFloat32},        {"double", DataType::kFloat64},
    {"fp64", DataType::kFloat64},        {"e4m3", DataType::kFloat8e4m3},
    {"f8e4m3", DataType::kFloat8e4m3},   {"e5m2", DataType::kFloat8e5m2},
    {"f8e5m2", DataType::kFloat8e5m2},
};
constexpr const char* kOpNames[] = {"sum", "prod", "min", "max", "avg"};
constexpr const char* kCollectiveNames[] = {"allreduce", "allgather", "reducescatter", "alltoall",
                                            "broadcast", "reduce",    "sendrecv",      "barrier"};
}  // namespace

const char* Name(DataType t) {
  int i = static_cast<int>(t);
  return (i >= 0 && i < kNumDataTypes) ? kTypeNames[i].name : "invalid";
}

const char* Name(ReduceOp o) {
  int i = static_cast<int>(o);
  return (i >= 0 && i < kNumReduceOps) ? kOpNames[i] : "invalid";
}

const char* Name(Collective c) {
  int i = static_cast<int>(c);
  return (i >= 0 && i < kNumCollectives) ? kCollectiveNames[i] : "invalid";
}

bool ParseDataType(const char* s, DataType* out) {
  if (s == nullptr) return false;
  for (const auto& n : kTypeNames) {
    if (strcasecmp(s, n.name) == 0) { *out = n.type; return true; }
  }
  return false;
}

bool ParseReduceOp(const char* s, ReduceOp* out) {
  if (s == nullptr) return false;
  for (int i = 0; i < kNumReduceOps; ++i) {
    if (strcasecmp(s, kOpNames[i]) == 0) { *out = static_cast<ReduceOp>(i); return true; }
  }
  return false;
}

bool ParseCollective(const char* s, Collective* out) {
  if (s == nullptr) return false;
  for (int i = 0; i < kNumCollectives; ++i) {
    if (strcasecmp(s, kCollectiveNames[i]) == 0) { *out = static_cast<Collective>(i); return true; }
  }
  return false;
}

}  // namespace chorus
