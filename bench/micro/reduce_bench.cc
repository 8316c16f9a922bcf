// chorus-micro-reduce: host reduction kernels against memcpy on the same buffers.
//
// Bytes counted are bytes moved through memory: a reduction dst = a (op) b reads two buffers and
// writes one (3 x size), memcpy reads one and writes one (2 x size); "inplace" (dst == a) is also
// counted as 3 x size. So GB/s of the two are directly comparable as memory bandwidth.
//
//   chorus-micro-reduce [--benchmark_filter=float32] [--benchmark_min_time=0.5]
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/types.h"
#include "device/host/reduce.h"
#include "device/host/reduce_scalar.h"
#if defined(CHORUS_HAVE_HWY)
#include "device/host/reduce_simd.h"
#endif

namespace {

using chorus::Bytes;
using chorus::DataType;
using chorus::ReduceOp;

// Three page-aligned, pre-faulted buffers of `size` bytes, filled with small values of the type
// (so sums and products stay finite and the float paths measure ordinary numbers).
struct Buffers {
  Bytes size;
  uint8_t* a;
  uint8_t* b;
  uint8_t* d;
};

uint8_t* Allocate(Bytes size, uint8_t fill) {
  auto* p = static_cast<uint8_t*>(std::aligned_alloc(4096, (size + 4095) / 4096 * 4096));
  if (p == nullptr) {
    std::fprintf(stderr, "out of memory allocating %zu bytes\n", size);
    std::exit(1);
  }
  std::memset(p, fill, size);
  return p;
}

const Buffers& BuffersOf(Bytes size) {
  static std::vector<Buffers> cache;
  for (const Buffers& b : cache) {
    if (b.size == size) return b;
  }
  cache.push_back({size, Allocate(size, 0), Allocate(size, 0), Allocate(size, 0)});
  return cache.back();
}

void FillOnes(const Buffers& buf, DataType t) {
  // 1.0 (or 1) in every element: a value with the same bits pattern per element.
  const Bytes es = chorus::SizeOf(t);
  uint64_t one = 1;
  switch (t) {
    case DataType::kFloat16:
      one = 0x3C00;
      break;
    case DataType::kBfloat16:
      one = 0x3F80;
      break;
    case DataType::kFloat32:
      one = 0x3F800000;
      break;
    case DataType::kFloat64:
      one = 0x3FF0000000000000;
      break;
    case DataType::kFloat8e4m3:
      one = 0x38;
      break;
    case DataType::kFloat8e5m2:
      one = 0x3C;
      break;
    default:
      break;
  }
  for (Bytes i = 0; i + es <= buf.size; i += es) {
    std::memcpy(buf.a + i, &one, es);
    std::memcpy(buf.b + i, &one, es);
  }
}

void BM_Reduce(benchmark::State& state, DataType type, ReduceOp op, Bytes size, bool inplace) {
  const Buffers& buf = BuffersOf(size);
  FillOnes(buf, type);
  const chorus::Count count = size / chorus::SizeOf(type);
  uint8_t* dst = inplace ? buf.a : buf.d;
  for (auto _ : state) {
    chorus::host::Reduce(dst, buf.a, buf.b, count, type, op);
    benchmark::DoNotOptimize(dst);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(3 * size));
}

#if defined(CHORUS_HAVE_HWY)
// The SIMD kernel with streaming stores forced on or off, whatever the size.
void BM_ReduceStores(benchmark::State& state, DataType type, Bytes size, bool inplace, bool nontemporal) {
  const Buffers& buf = BuffersOf(size);
  FillOnes(buf, type);
  const chorus::Count count = size / chorus::SizeOf(type);
  uint8_t* dst = inplace ? buf.a : buf.d;
  for (auto _ : state) {
    chorus::host::internal::ReduceSimd(dst, buf.a, buf.b, count, type, ReduceOp::kSum, nontemporal);
    benchmark::DoNotOptimize(dst);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(3 * size));
}
#endif

// The portable element-by-element kernels, for comparison.
void BM_ReduceScalar(benchmark::State& state, DataType type, Bytes size) {
  const Buffers& buf = BuffersOf(size);
  FillOnes(buf, type);
  const chorus::Count count = size / chorus::SizeOf(type);
  for (auto _ : state) {
    chorus::host::internal::ReduceScalar(buf.d, buf.a, buf.b, count, type, ReduceOp::kSum);
    benchmark::DoNotOptimize(buf.d);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(3 * size));
}

void BM_Memcpy(benchmark::State& state, Bytes size) {
  const Buffers& buf = BuffersOf(size);
  for (auto _ : state) {
    std::memcpy(buf.d, buf.a, size);
    benchmark::DoNotOptimize(buf.d);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(2 * size));
}

std::string SizeName(Bytes size) {
  return size >= (Bytes{1} << 20) ? std::to_string(size >> 20) + "MiB" : std::to_string(size >> 10) + "KiB";
}

}  // namespace

int main(int argc, char** argv) {
  constexpr DataType kTypes[] = {DataType::kFloat32, DataType::kFloat16, DataType::kBfloat16,   DataType::kFloat64,
                                 DataType::kInt8,    DataType::kUint8,   DataType::kInt32,      DataType::kUint32,
                                 DataType::kInt64,   DataType::kUint64,  DataType::kFloat8e4m3, DataType::kFloat8e5m2};
  constexpr ReduceOp kOps[] = {ReduceOp::kSum, ReduceOp::kProd, ReduceOp::kMin, ReduceOp::kMax};
  const Bytes kSizes[] = {Bytes{1} << 20, Bytes{64} << 20};

  for (Bytes size : kSizes) {
    // memcpy first and last at each size, so drift during the run shows.
    benchmark::RegisterBenchmark(("memcpy/" + SizeName(size)).c_str(), BM_Memcpy, size);
    for (DataType t : kTypes) {
      for (ReduceOp op : kOps) {
        const std::string name =
            std::string("reduce/") + chorus::Name(t) + "/" + chorus::Name(op) + "/" + SizeName(size);
        benchmark::RegisterBenchmark(name.c_str(), BM_Reduce, t, op, size, false);
      }
      const std::string name = std::string("reduce-inplace/") + chorus::Name(t) + "/sum/" + SizeName(size);
      benchmark::RegisterBenchmark(name.c_str(), BM_Reduce, t, ReduceOp::kSum, size, true);
    }
    for (DataType t :
         {DataType::kFloat32, DataType::kFloat16, DataType::kBfloat16, DataType::kFloat8e4m3, DataType::kFloat8e5m2}) {
      const std::string name = std::string("scalar/") + chorus::Name(t) + "/sum/" + SizeName(size);
      benchmark::RegisterBenchmark(name.c_str(), BM_ReduceScalar, t, size);
    }
#if defined(CHORUS_HAVE_HWY)
    for (DataType t : {DataType::kFloat32, DataType::kFloat16, DataType::kBfloat16}) {
      for (bool inplace : {false, true}) {
        for (bool nt : {false, true}) {
          const std::string name = std::string(inplace ? "stores-inplace/" : "stores/") + chorus::Name(t) + "/sum/" +
                                   (nt ? "streaming/" : "cached/") + SizeName(size);
          benchmark::RegisterBenchmark(name.c_str(), BM_ReduceStores, t, size, inplace, nt);
        }
      }
    }
#endif
    benchmark::RegisterBenchmark(("memcpy-again/" + SizeName(size)).c_str(), BM_Memcpy, size);
  }
#if defined(CHORUS_HAVE_HWY)
  benchmark::AddCustomContext("chorus.simd_target", chorus::host::internal::SimdTargetName());
#else
  benchmark::AddCustomContext("chorus.simd_target", "none (scalar build)");
#endif
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
