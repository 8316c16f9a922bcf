// Buffers for one case: where each placement's send and receive pointers point, filling the inputs
// with the pattern (and the outputs with a sentinel the pattern never produces), and counting the
// output elements that differ from the expected values.
#pragma once

#include <cstddef>
#include <cstdint>

#include "chorus-bench/cases.h"
#include "chorus-bench/pattern.h"

namespace chorus::bench {

// The pointers a collective call takes.
struct CallBuffers {
  void* send = nullptr;
  void* recv = nullptr;
};

// Host memory for one case (64-byte aligned, freed on destruction). In place, the call uses one
// buffer as nccl-tests does: all-gather sends from recv + rank*count, reduce-scatter receives at
// send + rank*count, the others pass the same pointer twice.
// Where a case's buffers come from (both null: 64-byte aligned malloc).
struct BufferMemory {
  void* (*alloc)(std::size_t bytes) = nullptr;
  void (*release)(void* p) = nullptr;
};

// Elements a rank's call reads from its input and writes to its output, out of place (a reduce's
// non-root writes none).
std::size_t InputElems(const Case& c);
std::size_t OutputElems(const Case& c, int rank, int nranks);

class CaseBuffers {
 public:
  CaseBuffers(const Case& c, int rank, BufferMemory memory = {});
  ~CaseBuffers();
  CaseBuffers(const CaseBuffers&) = delete;
  CaseBuffers& operator=(const CaseBuffers&) = delete;

  bool ok() const { return send_ != nullptr && recv_ != nullptr; }
  CallBuffers Call(bool in_place) const;

  // Writes this rank's inputs for `in_place`, and the sentinel into the output region.
  void Fill(const Pattern& p, int nranks, bool in_place);
  // Output elements (of this rank) that differ from the expected result; 0 for a reduce's non-root.
  int64_t CountWrong(const Pattern& p, int nranks, bool in_place) const;
  // Replaces the first output element by a wrong value (test hook: proves CountWrong can fail).
  void Corrupt(bool in_place);

  std::size_t input_elems() const;
  std::size_t output_elems(int nranks) const;

 private:
  Case case_;
  int rank_;
  void* send_ = nullptr;
  void* recv_ = nullptr;
  std::size_t send_bytes_ = 0;
  std::size_t recv_bytes_ = 0;
  BufferMemory memory_;
};

inline constexpr unsigned char kSentinelByte = 0xA5;

}  // namespace chorus::bench
