// What an implementation (Chorus, Open MPI, Gloo) provides to the measurement loop: one rank's view
// of a communicator that can run each collective on host buffers.
#pragma once

#include <string>

#include "chorus-bench/cases.h"
#include "chorus-bench/check.h"
#include "chorus-bench/report.h"

namespace chorus::bench {

struct CallStatus {
  Outcome outcome = Outcome::kOk;
  std::string message;
  static CallStatus Ok() { return {}; }
  static CallStatus Unsupported(std::string m) { return {Outcome::kUnsupported, std::move(m)}; }
  static CallStatus Error(std::string m) { return {Outcome::kError, std::move(m)}; }
  bool ok() const { return outcome == Outcome::kOk; }
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual int rank() const = 0;
  virtual int nranks() const = 0;
  virtual std::string version() const = 0;

  // Unsupported before any call is made (a data type or op the implementation lacks). Must give the
  // same answer on every rank.
  virtual CallStatus Supports(const Case& c, bool in_place) const = 0;
  // One collective on `b` (blocking: returns when this rank's part is complete).
  virtual CallStatus Run(const Case& c, const CallBuffers& b) = 0;
  virtual CallStatus Barrier() = 0;
  // Gathers `n` doubles from every rank into all[rank * n + i] (on every rank). Only used without a
  // coordinator, to bring the ranks' figures to rank 0.
  virtual CallStatus AllGather(const double* mine, int n, double* all) = 0;
  // After the last call of a case, before its buffers are freed.
  virtual void EndCase() {}
  // Where the case's buffers come from (default: malloc).
  virtual BufferMemory memory() const { return {}; }
  // Whether Run computes the collective's result, so that -c 1 checks it (not the memory floor,
  // which only moves the bytes).
  virtual bool ProducesResults() const { return true; }
};

}  // namespace chorus::bench
