// Host reduction and conversion kernels: the arithmetic of every collective on host memory.
//
// Numerics (docs/numerics.md): 8- and 16-bit floats are widened to float32, combined, and rounded
// back to the storage type with round-to-nearest-even after every pairwise step; float8 e4m3
// saturates to +-448 (it has no infinity), e5m2 follows IEEE (overflow -> inf). Integers wrap
// (two's complement). NaN propagates through every op: for min/max a NaN in either operand gives NaN.
// Because every element's final value is computed by exactly one rank and then copied, all ranks
// receive the same bits.
#pragma once

#include <cstddef>

#include "core/types.h"

namespace chorus::host {

// dst[i] = a[i] (op) b[i] for i < count. dst may alias a or b exactly (not partially overlap).
// op must not be kAvg here: avg is a sum followed by Scale (see below). Pointers need no alignment.
void Reduce(void* dst, const void* a, const void* b, Count count, DataType type, ReduceOp op);

// data[i] = data[i] / divisor, in the type's arithmetic (integers: truncating division;
// floats: computed in float32/float64 then rounded). Finishes an avg.
void DivideBy(void* data, Count count, DataType type, int divisor);

// Scalar conversions for the narrow float types (round to nearest even).
float HalfToFloat(uint16_t h);
uint16_t FloatToHalf(float f);
float Bfloat16ToFloat(uint16_t h);
uint16_t FloatToBfloat16(float f);
float Float8e4m3ToFloat(uint8_t v);
uint8_t FloatToFloat8e4m3(float f);
float Float8e5m2ToFloat(uint8_t v);
uint8_t FloatToFloat8e5m2(float f);

}  // namespace chorus::host
