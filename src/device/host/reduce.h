// Host reduction and conversion kernels: the arithmetic of every collective on host memory.
//
// Numerics (docs/numerics.md): 8- and 16-bit floats are widened to float32, combined, and rounded
// back to the storage type with round-to-nearest-even after every pairwise step, which equals the
// exact result rounded once; float8 e4m3 saturates to +-448 (it has no infinity), e5m2, float16
// and bfloat16 follow IEEE (overflow -> inf). Integers wrap (two's complement). NaN propagates
// through every op: for min/max a NaN in either operand gives NaN (sign and payload unspecified),
// and min/max order -0 below +0 (IEEE 754-2019 minimum/maximum). Because every element's final
// value is computed by exactly one rank and then copied, all ranks receive the same bits.
//
// The kernels use the best SIMD instruction set of the CPU they run on (chosen at run time) when
// Chorus is built with Highway, and portable scalar code otherwise; both give identical results
// except for NaN payloads.
#pragma once

#include <cstddef>

#include "core/types.h"
#include "device/host/copy.h"

namespace chorus::host {

// dst[i] = a[i] (op) b[i] for i < count. dst may alias a or b exactly (not partially overlap).
// op must not be kAvg here: avg is a sum followed by DivideBy (see below); kAvg and invalid
// types/ops do nothing. Pointers need no alignment. Out-of-place results of at least
// CHORUS_NT_STORE_BYTES bytes (default 16 MiB) are written with streaming stores.
void Reduce(void* dst, const void* a, const void* b, Count count, DataType type, ReduceOp op);
// The same, with the caller saying where the result goes next (copy.h): kStreamed writes dst
// with streaming stores whatever its size, kCached never does.
void Reduce(void* dst, const void* a, const void* b, Count count, DataType type, ReduceOp op, Store store);

// data[i] = data[i] / divisor, in the type's arithmetic (integers: truncating division;
// floats: computed in float32/float64 then rounded once). Finishes an avg. divisor must be >= 1;
// other values leave data unchanged.
void DivideBy(void* data, Count count, DataType type, int divisor);

// Scalar conversions for the narrow float types (round to nearest even; see float_formats.h for
// overflow and NaN rules: e4m3 turns overflow and +-inf into +-448).
float HalfToFloat(uint16_t h);
uint16_t FloatToHalf(float f);
float Bfloat16ToFloat(uint16_t h);
uint16_t FloatToBfloat16(float f);
float Float8e4m3ToFloat(uint8_t v);
uint8_t FloatToFloat8e4m3(float f);
float Float8e5m2ToFloat(uint8_t v);
uint8_t FloatToFloat8e5m2(float f);

}  // namespace chorus::host
