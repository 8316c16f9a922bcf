// chorus-bench-mpi: the Open MPI baseline. Alone under mpirun it prints chorus-bench's table for
// MPI; under chorus-bench (--baseline mpi) it answers the coordinator's commands.
#include <mpi.h>

#include <cstdio>
#include <string>
#include <vector>

#include "baselines/mpi_backend.h"
#include "chorus-bench/options.h"
#include "chorus-bench/runinfo.h"
#include "chorus-bench/worker.h"

int main(int argc, char** argv) {
  using namespace chorus::bench;
  MPI_Init(&argc, &argv);
  int code = 0;
  {
    MpiBackend be;
    Options o;
    const ParseOutcome p = ParseOptions(Program::kMpi, std::vector<std::string>(argv, argv + argc), &o);
    if (p.exit_now || !p.ok) {
      if (be.rank() == 0) std::fprintf(p.ok ? stdout : stderr, "%s\n", p.message.c_str());
      code = p.exit_code;
    } else if (Rooted(o.coll) && o.root >= be.nranks()) {
      if (be.rank() == 0) std::fprintf(stderr, "chorus-bench-mpi: --root %d is not a rank of %d\n", o.root, be.nranks());
      code = 2;
    } else if (!o.worker_dir.empty()) {
      WorkerPipes pipes;
      std::string err;
      code = pipes.Open(o, be.rank(), &err) ? RunWorker(&be, pipes, be.rank(), be.nranks(), o, be.version(), "") : 1;
    } else {
      RunInfo info = DescribeRun(o, be.nranks(), "mpirun");
      code = RunStandalone(be, o, info, "mpi", "");
    }
  }
  MPI_Finalize();
  return code;
}
