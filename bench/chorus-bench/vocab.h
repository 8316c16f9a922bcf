// The benchmark's vocabulary: collectives, data types and reduction ops, with the names nccl-tests
// prints (float, half, bfloat16, f8e4m3, ...) so that tables can be compared line by line.
// Independent of Chorus: the baselines link this without the library.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace chorus::bench {

enum class Coll { kAllReduce, kAllGather, kReduceScatter, kAllToAll, kBroadcast, kReduce, kSendRecv };

// Same numbering as chorusDataType_t / chorusRedOp_t (the Chorus backend casts, and checks that).
enum class DType {
  kInt8 = 0,
  kUint8 = 1,
  kInt32 = 2,
  kUint32 = 3,
  kInt64 = 4,
  kUint64 = 5,
  kFloat16 = 6,
  kBfloat16 = 7,
  kFloat32 = 8,
  kFloat64 = 9,
  kF8e4m3 = 10,
  kF8e5m2 = 11,
};
inline constexpr int kNumDTypes = 12;

enum class Op { kSum = 0, kProd = 1, kMin = 2, kMax = 3, kAvg = 4 };
inline constexpr int kNumOps = 5;

const char* Name(Coll c);   // "allreduce", "allgather", ...
const char* Name(DType t);  // nccl-tests' names: "int8", "half", "float", "bfloat16", "f8e4m3", ...
const char* Name(Op o);     // "sum", "prod", "min", "max", "avg"

// Accept our names, nccl-tests' names and common aliases (all_reduce, fp32, bf16, e4m3, ...).
std::optional<Coll> ParseColl(std::string_view s);
std::optional<DType> ParseDType(std::string_view s);
std::optional<Op> ParseOp(std::string_view s);

std::size_t SizeOf(DType t);
bool IsFloat(DType t);
bool IsSigned(DType t);  // floats count as signed
bool Reduces(Coll c);    // takes a reduction op
bool Rooted(Coll c);     // takes a root
std::vector<Coll> AllColls();
std::vector<DType> AllDTypes();
std::vector<Op> AllOps();

}  // namespace chorus::bench
