// The Chorus implementation of Backend, through the public C API only (include/chorus/chorus.h).
#pragma once

#include <string>

#include "chorus-bench/backend.h"
#include "chorus/chorus.h"

namespace chorus::bench {

class ChorusBackend : public Backend {
 public:
  // `forced_algo`: CHORUS_ALGO names an algorithm for this run, so a call the library rejects as an
  // invalid argument means "this algorithm does not do that" (reported n/a), not a failure.
  // `owns`: destroy the communicator with the backend.
  // `registered`: buffers from chorusMemAlloc (shared windows).
  ChorusBackend(chorusComm_t comm, bool forced_algo, bool owns, bool registered = false);
  ~ChorusBackend() override;

  int rank() const override { return rank_; }
  int nranks() const override { return nranks_; }
  std::string version() const override;
  CallStatus Supports(const Case& c, bool in_place) const override;
  CallStatus Run(const Case& c, const CallBuffers& b) override;
  CallStatus Barrier() override;
  CallStatus AllGather(const double* mine, int n, double* all) override;
  BufferMemory memory() const override;

 private:
  CallStatus Status(chorusResult_t r, const char* what) const;
  chorusComm_t comm_;
  bool forced_algo_;
  bool owns_;
  bool registered_;
  int rank_ = 0;
  int nranks_ = 1;
};

// "0.1.0" from chorusGetVersion.
std::string ChorusVersionString();

}  // namespace chorus::bench
