// One collective call with exact inputs, run on one rank and checked against the serial
// reference (and for writes outside the output). Shared by the sweep, the soak and fault tests.
#pragma once

#include <cstdint>
#include <string>

#include "chorus/chorus.h"
#include "core/types.h"

namespace chorus::testing {

struct Case {
  Collective coll;
  DataType type;
  ReduceOp op;
  size_t count;
  bool in_place;
  int root;
  int misalign;  // bytes added to every buffer address
  uint64_t seed;
  bool shared_window = false;  // buffers from chorusMemAlloc instead of the heap
};

std::string Describe(const Case& c, int nranks);
bool Reduces(Collective c);
// Runs `c` on this rank of `comm` and checks this rank's output; "" when right.
std::string RunCase(chorusComm_t comm, int rank, int nranks, const Case& c);

// A grouped ring exchange on this rank of `comm`: `count` int32 values sent right and received
// from the left, out of place or in place (one buffer sent and overwritten), every buffer
// `misalign` bytes off its allocation; checks what arrived, "" when right.
std::string RingExchange(chorusComm_t comm, int rank, int n, size_t count, bool in_place, int misalign = 0);

}  // namespace chorus::testing
