#include "chorus-bench/baseline_launch.h"

#include <sys/stat.h>
#include <unistd.h>

#include <vector>

namespace chorus::bench {

std::unique_ptr<GroupLauncher> MpiLauncher(const Options& o, int nranks, const std::string& bin_dir) {
  return std::make_unique<ProcessLauncher>([o, nranks, bin_dir](const std::string& dir, const std::string& name) {
    ProcSpec p;
    p.argv = {o.mpirun, "-np", std::to_string(nranks)};
    if (geteuid() == 0) p.argv.push_back("--allow-run-as-root");
    // Loopback only, no binding (Chorus' ranks are not bound either), more ranks than cores allowed.
    for (const char* a : {"--oversubscribe", "--bind-to", "none", "--mca", "btl_tcp_if_include", "lo", "--mca",
                          "oob_tcp_if_include", "lo"}) {
      p.argv.push_back(a);
    }
    p.argv.insert(p.argv.end(), o.mpirun_args.begin(), o.mpirun_args.end());
    p.argv.push_back(bin_dir + "/chorus-bench-mpi");
    for (const std::string& a : WorkerArgs(o)) p.argv.push_back(a);
    p.argv.insert(p.argv.end(), {"--worker-dir", dir, "--worker-group", name});
    p.unset_env = {"CHORUS_RANK", "CHORUS_WORLD_SIZE", "CHORUS_UNIQUE_ID"};
    return std::vector<ProcSpec>{p};
  });
}

std::unique_ptr<GroupLauncher> GlooLauncher(const Options& o, int nranks, const std::string& variant,
                                            const std::string& bin_dir) {
  return std::make_unique<ProcessLauncher>(
      [o, nranks, variant, bin_dir](const std::string& dir, const std::string& name) {
        const std::string store = dir + "/" + name + ".store";
        mkdir(store.c_str(), 0700);
        std::vector<ProcSpec> procs;
        for (int r = 0; r < nranks; ++r) {
          ProcSpec p;
          p.argv = {bin_dir + "/chorus-bench-gloo"};
          for (const std::string& a : WorkerArgs(o)) p.argv.push_back(a);
          p.argv.insert(p.argv.end(), {"--gloo-store", store, "--gloo-algo", variant.empty() ? "ring" : variant, "--worker-dir", dir,
                                       "--worker-group", name});
          p.set_env = {{"CHORUS_RANK", std::to_string(r)}, {"CHORUS_WORLD_SIZE", std::to_string(nranks)}};
          procs.push_back(p);
        }
        return procs;
      });
}

}  // namespace chorus::bench
