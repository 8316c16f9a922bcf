// Inputs whose reductions are exact in every type and order, and the serial reference results.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "chorus/chorus.h"
#include "core/types.h"

namespace chorus::testing {

// Writes `v` (an exactly representable small value) as element `i` of a buffer of `type`.
void Encode(DataType type, double v, void* buf, size_t i);
// Reads element i as a double.
double Decode(DataType type, const void* buf, size_t i);
// The exact bytes of `v` in `type` (integers wrap).
std::vector<uint8_t> Bytes(DataType type, double v);

// Input value of element i on rank r for a reduction with op (chosen so every partial result is
// exactly representable: small integers for sum/avg/min/max, {-1, 1, 2} for prod).
double InputValue(DataType type, ReduceOp op, int rank, size_t i, uint64_t seed);
// The reduction of the inputs of all ranks at element i, encoded in `type` into out[i].
void ReferenceReduce(DataType type, ReduceOp op, int nranks, size_t i, uint64_t seed, void* out, size_t out_i);

// Compares `count` elements of a and b from the given element offsets; returns "" or a message
// naming the first mismatch and how many differ.
std::string CompareElements(DataType type, const void* got, const void* want, size_t count);

}  // namespace chorus::testing
