#include "chorus-bench/chorus_groups.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "chorus-bench/channel.h"
#include "chorus-bench/chorus_backend.h"
#include "chorus-bench/floor_backend.h"
#include "chorus-bench/protocol.h"
#include "chorus-bench/worker.h"
#include "chorus/chorus.h"

namespace chorus::bench {
namespace {

// Launch variables a child must not inherit: it gets its rank from CHORUS_RANK and its id from the
// pipes.
const std::vector<std::string> kLauncherVars = {
    "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "PMI_RANK", "PMI_SIZE", "SLURM_PROCID", "SLURM_NTASKS",
    "CHORUS_UNIQUE_ID", "CHORUS_ROOT_ADDR", "CHORUS_SECRET", "CHORUS_LOCAL_RANK", "CHORUS_LOCAL_SIZE"};

// A rank of a Chorus group: the collectives, or (--baseline floor's ranks) the floor's copies
// over the same communicator.
int RunChorusWorker(ChorusBackend& be, WorkerPipes& pipes, int rank, int nranks, const Options& o) {
  if (o.floor_worker.empty()) return RunWorker(&be, pipes, rank, nranks, o, ChorusVersionString(), "");
  FloorBackend floor(be, o.floor_worker == "serial");
  return RunWorker(&floor, pipes, rank, nranks, o, floor.version(), "");
}

void SetAlgo(const std::string& value) {
  if (value.empty()) return;  // the user's own CHORUS_ALGO (if any) stays
  setenv("CHORUS_ALGO", value.c_str(), 1);
}

class ThreadLauncher : public GroupLauncher {
 public:
  ThreadLauncher(const Options& o, int nranks, std::string algo_env)
      : opts_(o), nranks_(nranks), algo_env_(std::move(algo_env)), forced_(!algo_env_.empty()),
        done_(new std::atomic<bool>[static_cast<std::size_t>(nranks)]) {
    for (int r = 0; r < nranks_; ++r) done_[r] = false;
  }
  ~ThreadLauncher() override { Finish(5000); }

  bool Start(const std::string& dir, const std::string& name, std::string* error) override {
    opts_.worker_dir = dir;
    opts_.worker_group = name;
    SetAlgo(algo_env_);
    comms_.assign(static_cast<std::size_t>(nranks_), nullptr);
    const chorusResult_t rc = chorusCommInitAll(comms_.data(), nranks_, nullptr);
    if (rc != chorusSuccess) {
      *error = std::string("chorusCommInitAll: ") + chorusGetErrorString(rc) + ": " + chorusGetLastError(nullptr);
      comms_.clear();
      return false;
    }
    for (int r = 0; r < nranks_; ++r) {
      threads_.emplace_back([this, r] {
        WorkerPipes pipes;
        std::string err;
        if (pipes.Open(opts_, r, &err)) {
          ChorusBackend be(comms_[static_cast<std::size_t>(r)], forced_, /*owns=*/false, opts_.registered);
          RunChorusWorker(be, pipes, r, nranks_, opts_);
        }
        done_[r] = true;
      });
    }
    return true;
  }

  // CHORUS_ALGO is read at each call: the group's value must be in place during its turn.
  void BeforeTurn() override { SetAlgo(algo_env_); }

  bool Alive(std::string* why) override {
    for (int r = 0; r < nranks_; ++r) {
      if (done_[r]) {
        *why = "rank thread " + std::to_string(r) + " ended";
        return false;
      }
    }
    return true;
  }

  void Terminate() override {
    // Unblock ranks inside a call, then ranks waiting for a command.
    for (chorusComm_t& c : comms_) {
      if (c != nullptr) chorusCommAbort(c);
      c = nullptr;
    }
    for (int r = 0; r < nranks_; ++r) {
      const int fd = open(CommandPipe(opts_.worker_dir, opts_.worker_group, r).c_str(), O_WRONLY | O_NONBLOCK);
      if (fd >= 0) {
        WriteLine(fd, kQuitCommand);
        close(fd);
      }
    }
    Finish(5000);
  }

  bool Finish(int timeout_ms) override {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    bool all = false;
    while (!all) {
      all = true;
      for (int r = 0; r < nranks_; ++r) all = all && done_[r];
      if (all || std::chrono::steady_clock::now() > deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    for (std::thread& t : threads_) {
      if (!t.joinable()) continue;
      if (all) {
        t.join();
      } else {
        t.detach();  // stuck in a call that abort did not end: leave it to process exit
      }
    }
    threads_.clear();
    if (all) {
      for (chorusComm_t& c : comms_) {
        if (c != nullptr) chorusCommDestroy(c);
        c = nullptr;
      }
    }
    return all;
  }

 private:
  Options opts_;
  int nranks_;
  std::string algo_env_;
  bool forced_;
  std::unique_ptr<std::atomic<bool>[]> done_;
  std::vector<chorusComm_t> comms_;
  std::vector<std::thread> threads_;
};

}  // namespace

std::string AlgoEnvValue(Coll c, const std::string& algo) {
  return algo.empty() ? "" : std::string(Name(c)) + "=" + algo;
}

std::unique_ptr<GroupLauncher> ChorusProcessLauncher(const Options& o, int nranks, const std::string& algo) {
  const std::string self = SelfExe();
  const std::string algo_env = AlgoEnvValue(o.coll, algo);
  return std::make_unique<ProcessLauncher>([o, nranks, self, algo_env](const std::string& dir, const std::string& name) {
    std::vector<ProcSpec> procs;
    for (int r = 0; r < nranks; ++r) {
      ProcSpec p;
      p.argv = {self};
      for (const std::string& a : WorkerArgs(o)) p.argv.push_back(a);
      p.argv.insert(p.argv.end(), {"--worker-dir", dir, "--worker-group", name});
      p.set_env = {{"CHORUS_RANK", std::to_string(r)}, {"CHORUS_WORLD_SIZE", std::to_string(nranks)}};
      if (!algo_env.empty()) p.set_env.emplace_back("CHORUS_ALGO", algo_env);
      p.unset_env = kLauncherVars;
      procs.push_back(p);
    }
    return procs;
  });
}

std::unique_ptr<GroupLauncher> ChorusThreadLauncher(const Options& o, int nranks, const std::string& algo) {
  return std::make_unique<ThreadLauncher>(o, nranks, AlgoEnvValue(o.coll, algo));
}

int ChorusWorkerMain(const Options& o) {
  const char* rank_s = std::getenv("CHORUS_RANK");
  const char* size_s = std::getenv("CHORUS_WORLD_SIZE");
  const int rank = rank_s != nullptr ? std::atoi(rank_s) : -1;
  const int nranks = size_s != nullptr ? std::atoi(size_s) : 0;
  if (rank < 0 || nranks < 1 || rank >= nranks) {
    std::fprintf(stderr, "chorus-bench worker: CHORUS_RANK / CHORUS_WORLD_SIZE missing or out of range\n");
    return 2;
  }
  WorkerPipes pipes;
  std::string err;
  if (!pipes.Open(o, rank, &err)) {
    std::fprintf(stderr, "chorus-bench worker %d: %s\n", rank, err.c_str());
    return 1;
  }
  chorusUniqueId id{};
  std::string init_error;
  if (rank == 0) {
    char hex[2 * CHORUS_UNIQUE_ID_BYTES + 1];
    chorusResult_t rc = chorusGetUniqueId(&id);
    if (rc == chorusSuccess) rc = chorusUniqueIdToString(&id, hex, sizeof hex);
    if (rc != chorusSuccess) {
      init_error = std::string("chorusGetUniqueId: ") + chorusGetErrorString(rc) + ": " + chorusGetLastError(nullptr);
    } else if (!pipes.WriteLine(EncodeUid(hex))) {
      return 1;
    }
  } else {
    std::string line, hex;
    if (!pipes.ReadLine(&line)) return 1;
    if (!ParseUidCommand(line, &hex)) {
      init_error = "expected the unique id, got '" + line.substr(0, 80) + "'";
    } else if (chorusUniqueIdFromString(&id, hex.c_str()) != chorusSuccess) {
      init_error = std::string("chorusUniqueIdFromString: ") + chorusGetLastError(nullptr);
    }
  }
  chorusComm_t comm = nullptr;
  if (init_error.empty()) {
    const chorusResult_t rc = chorusCommInitRank(&comm, nranks, id, rank, nullptr);
    if (rc != chorusSuccess) {
      init_error = std::string("chorusCommInitRank: ") + chorusGetErrorString(rc) + ": " + chorusGetLastError(nullptr);
      comm = nullptr;
    }
  }
  if (comm == nullptr) return RunWorker(nullptr, pipes, rank, nranks, o, ChorusVersionString(), init_error);
  const char* algo = std::getenv("CHORUS_ALGO");
  ChorusBackend be(comm, algo != nullptr && *algo != '\0', /*owns=*/true, o.registered);
  return RunChorusWorker(be, pipes, rank, nranks, o);
}

}  // namespace chorus::bench
