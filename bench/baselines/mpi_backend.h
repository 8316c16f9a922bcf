// Open MPI as a Backend: MPI_COMM_WORLD, native MPI datatypes and ops only.
#pragma once

#include <mpi.h>

#include <string>

#include "chorus-bench/backend.h"

namespace chorus::bench {

class MpiBackend : public Backend {
 public:
  MpiBackend();  // after MPI_Init
  int rank() const override { return rank_; }
  int nranks() const override { return nranks_; }
  std::string version() const override;
  CallStatus Supports(const Case& c, bool in_place) const override;
  CallStatus Run(const Case& c, const CallBuffers& b) override;
  CallStatus Barrier() override;
  CallStatus AllGather(const double* mine, int n, double* all) override;

 private:
  CallStatus Check(int rc, const char* what) const;
  int rank_ = 0;
  int nranks_ = 1;
};

}  // namespace chorus::bench
