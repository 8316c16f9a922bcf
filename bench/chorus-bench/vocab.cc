#include "chorus-bench/vocab.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace chorus::bench {
namespace {

std::string Canonical(std::string_view s) {
  // Case, '_' and '-' do not matter: "All_Reduce" == "allreduce".
  std::string out;
  for (char c : s) {
    if (c == '_' || c == '-') continue;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

template <typename T>
struct Alias {
  const char* name;
  T value;
};

template <typename T, std::size_t N>
std::optional<T> Lookup(const Alias<T> (&table)[N], std::string_view s) {
  const std::string key = Canonical(s);
  for (const auto& a : table) {
    if (key == a.name) return a.value;
  }
  return std::nullopt;
}

constexpr Alias<Coll> kCollAliases[] = {
    {"allreduce", Coll::kAllReduce},         {"allgather", Coll::kAllGather},
    {"reducescatter", Coll::kReduceScatter}, {"alltoall", Coll::kAllToAll},
    {"broadcast", Coll::kBroadcast},         {"bcast", Coll::kBroadcast},
    {"reduce", Coll::kReduce},               {"sendrecv", Coll::kSendRecv},
};

constexpr Alias<DType> kDTypeAliases[] = {
    {"int8", DType::kInt8},        {"char", DType::kInt8},          {"uint8", DType::kUint8},
    {"int32", DType::kInt32},      {"int", DType::kInt32},          {"uint32", DType::kUint32},
    {"int64", DType::kInt64},      {"uint64", DType::kUint64},      {"half", DType::kFloat16},
    {"float16", DType::kFloat16},  {"fp16", DType::kFloat16},       {"f16", DType::kFloat16},
    {"bfloat16", DType::kBfloat16}, {"bf16", DType::kBfloat16},     {"float", DType::kFloat32},
    {"float32", DType::kFloat32},  {"fp32", DType::kFloat32},       {"f32", DType::kFloat32},
    {"double", DType::kFloat64},   {"float64", DType::kFloat64},    {"fp64", DType::kFloat64},
    {"f64", DType::kFloat64},      {"f8e4m3", DType::kF8e4m3},      {"float8e4m3", DType::kF8e4m3},
    {"fp8e4m3", DType::kF8e4m3},   {"e4m3", DType::kF8e4m3},        {"f8e5m2", DType::kF8e5m2},
    {"float8e5m2", DType::kF8e5m2}, {"fp8e5m2", DType::kF8e5m2},    {"e5m2", DType::kF8e5m2},
};

constexpr Alias<Op> kOpAliases[] = {
    {"sum", Op::kSum}, {"prod", Op::kProd}, {"product", Op::kProd}, {"min", Op::kMin},
    {"max", Op::kMax}, {"avg", Op::kAvg},   {"mean", Op::kAvg},
};

}  // namespace

const char* Name(Coll c) {
  switch (c) {
    case Coll::kAllReduce: return "allreduce";
    case Coll::kAllGather: return "allgather";
    case Coll::kReduceScatter: return "reducescatter";
    case Coll::kAllToAll: return "alltoall";
    case Coll::kBroadcast: return "broadcast";
    case Coll::kReduce: return "reduce";
    case Coll::kSendRecv: return "sendrecv";
  }
  return "?";
}

const char* Name(DType t) {
  switch (t) {
    case DType::kInt8: return "int8";
    case DType::kUint8: return "uint8";
    case DType::kInt32: return "int32";
    case DType::kUint32: return "uint32";
    case DType::kInt64: return "int64";
    case DType::kUint64: return "uint64";
    case DType::kFloat16: return "half";
    case DType::kBfloat16: return "bfloat16";
    case DType::kFloat32: return "float";
    case DType::kFloat64: return "double";
    case DType::kF8e4m3: return "f8e4m3";
    case DType::kF8e5m2: return "f8e5m2";
  }
  return "?";
}

const char* Name(Op o) {
  switch (o) {
    case Op::kSum: return "sum";
    case Op::kProd: return "prod";
    case Op::kMin: return "min";
    case Op::kMax: return "max";
    case Op::kAvg: return "avg";
  }
  return "?";
}

std::optional<Coll> ParseColl(std::string_view s) { return Lookup(kCollAliases, s); }
std::optional<DType> ParseDType(std::string_view s) { return Lookup(kDTypeAliases, s); }
std::optional<Op> ParseOp(std::string_view s) { return Lookup(kOpAliases, s); }

std::size_t SizeOf(DType t) {
  switch (t) {
    case DType::kInt8:
    case DType::kUint8:
    case DType::kF8e4m3:
    case DType::kF8e5m2: return 1;
    case DType::kFloat16:
    case DType::kBfloat16: return 2;
    case DType::kInt32:
    case DType::kUint32:
    case DType::kFloat32: return 4;
    case DType::kInt64:
    case DType::kUint64:
    case DType::kFloat64: return 8;
  }
  return 1;
}

bool IsFloat(DType t) {
  switch (t) {
    case DType::kFloat16:
    case DType::kBfloat16:
    case DType::kFloat32:
    case DType::kFloat64:
    case DType::kF8e4m3:
    case DType::kF8e5m2: return true;
    default: return false;
  }
}

bool IsSigned(DType t) {
  return IsFloat(t) || t == DType::kInt8 || t == DType::kInt32 || t == DType::kInt64;
}

bool Reduces(Coll c) {
  return c == Coll::kAllReduce || c == Coll::kReduceScatter || c == Coll::kReduce;
}

bool Rooted(Coll c) { return c == Coll::kBroadcast || c == Coll::kReduce; }

std::vector<Coll> AllColls() {
  return {Coll::kAllReduce, Coll::kAllGather, Coll::kReduceScatter, Coll::kAllToAll,
          Coll::kBroadcast, Coll::kReduce,    Coll::kSendRecv};
}

std::vector<DType> AllDTypes() {
  std::vector<DType> v;
  for (int i = 0; i < kNumDTypes; ++i) v.push_back(static_cast<DType>(i));
  return v;
}

std::vector<Op> AllOps() {
  std::vector<Op> v;
  for (int i = 0; i < kNumOps; ++i) v.push_back(static_cast<Op>(i));
  return v;
}

}  // namespace chorus::bench
