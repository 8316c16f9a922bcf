// chorus-bench-gloo: the Gloo baseline. Rank and size from CHORUS_RANK / CHORUS_WORLD_SIZE (or
// Open MPI's / PMI's variables), rendezvous in --gloo-store. Alone it prints chorus-bench's table;
// under chorus-bench (--baseline gloo) it answers the coordinator's commands.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "baselines/gloo_backend.h"
#include "chorus-bench/options.h"
#include "chorus-bench/runinfo.h"
#include "chorus-bench/worker.h"

namespace {

bool RankFromEnv(int* rank, int* size) {
  static const char* kPairs[][2] = {{"CHORUS_RANK", "CHORUS_WORLD_SIZE"},
                                    {"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"},
                                    {"PMI_RANK", "PMI_SIZE"}};
  for (const auto& p : kPairs) {
    const char* r = std::getenv(p[0]);
    const char* s = std::getenv(p[1]);
    if (r != nullptr && s != nullptr) {
      *rank = std::atoi(r);
      *size = std::atoi(s);
      return *size >= 1 && *rank >= 0 && *rank < *size;
    }
  }
  *rank = 0;
  *size = 1;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace chorus::bench;
  Options o;
  const ParseOutcome p = ParseOptions(Program::kGloo, std::vector<std::string>(argv, argv + argc), &o);
  if (p.exit_now || !p.ok) {
    std::fprintf(p.ok ? stdout : stderr, "%s\n", p.message.c_str());
    return p.exit_code;
  }
  int rank = 0, size = 1;
  if (!RankFromEnv(&rank, &size)) {
    std::fprintf(stderr, "chorus-bench-gloo: bad rank/size in the environment\n");
    return 2;
  }
  if (o.gloo_store.empty()) {
    if (size > 1) {
      std::fprintf(stderr, "chorus-bench-gloo: --gloo-store DIR is needed with several ranks\n");
      return 2;
    }
    o.gloo_store = "/tmp";
  }
  if (Rooted(o.coll) && o.root >= size) {
    std::fprintf(stderr, "chorus-bench-gloo: --root %d is not a rank of %d\n", o.root, size);
    return 2;
  }
  GlooBackend be(rank, size, o.gloo_store, o.gloo_algo, o.timeout_s);
  if (!o.worker_dir.empty()) {
    WorkerPipes pipes;
    std::string err;
    if (!pipes.Open(o, rank, &err)) return 1;
    return RunWorker(be.ok() ? &be : nullptr, pipes, rank, size, o, be.version(), be.error());
  }
  if (!be.ok()) {
    std::fprintf(stderr, "chorus-bench-gloo: %s\n", be.error().c_str());
    return 1;
  }
  RunInfo info = DescribeRun(o, size, "CHORUS_RANK/launcher environment");
  return RunStandalone(be, o, info, "gloo", o.coll == Coll::kAllReduce ? o.gloo_algo : "");
}
