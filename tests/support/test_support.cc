#include "support/test_support.h"

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "bootstrap/bootstrap.h"

namespace chorus::testing {

const char* Name(RankMode m) { return m == RankMode::kThreads ? "threads" : "processes"; }

uint64_t Rng::Next() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

namespace {

std::string RunThreads(int nranks, const RankBody& body, const chorusUniqueId& id) {
  std::vector<std::string> errors(nranks);
  std::vector<std::thread> threads;
  for (int r = 0; r < nranks; ++r) {
    threads.emplace_back([&, r] { errors[r] = body(r, nranks, id); });
  }
  for (auto& t : threads) t.join();
  std::string all;
  for (int r = 0; r < nranks; ++r) {
    if (!errors[r].empty()) all += "rank " + std::to_string(r) + ": " + errors[r] + "\n";
  }
  return all;
}

std::string RunProcesses(int nranks, const RankBody& body, const chorusUniqueId& id, int timeout_s,
                         std::vector<int>* pids_out) {
  std::vector<pid_t> pids(nranks, -1);
  std::vector<int> pipes(nranks, -1);
  fflush(stdout);
  fflush(stderr);
  for (int r = 0; r < nranks; ++r) {
    int fds[2];
    if (pipe(fds) != 0) return "pipe failed";
    pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      std::string err = body(r, nranks, id);
      if (!err.empty()) {
        ssize_t unused = write(fds[1], err.data(), err.size());
        (void)unused;
      }
      close(fds[1]);
      _exit(err.empty() ? 0 : 1);
    }
    close(fds[1]);
    pids[r] = pid;
    pipes[r] = fds[0];
  }
  if (pids_out != nullptr) pids_out->assign(pids.begin(), pids.end());
  std::string all;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  std::vector<bool> done(nranks, false);
  int remaining = nranks;
  while (remaining > 0) {
    for (int r = 0; r < nranks; ++r) {
      if (done[r]) continue;
      int status = 0;
      pid_t got = waitpid(pids[r], &status, WNOHANG);
      if (got == pids[r]) {
        done[r] = true;
        --remaining;
        std::string msg;
        char buf[4096];
        ssize_t n;
        while ((n = read(pipes[r], buf, sizeof(buf))) > 0) msg.append(buf, static_cast<size_t>(n));
        close(pipes[r]);
        if (WIFSIGNALED(status)) {
          all += "rank " + std::to_string(r) + ": killed by signal " +
                 std::to_string(WTERMSIG(status)) + "\n";
        } else if (WEXITSTATUS(status) != 0) {
          all += "rank " + std::to_string(r) + ": " + (msg.empty() ? "exit code " + std::to_string(WEXITSTATUS(status)) : msg) + "\n";
        }
      }
    }
    if (remaining == 0) break;
    if (std::chrono::steady_clock::now() > deadline) {
      for (int r = 0; r < nranks; ++r) {
        if (!done[r]) {
          kill(pids[r], SIGKILL);
          waitpid(pids[r], nullptr, 0);
          close(pipes[r]);
          all += "rank " + std::to_string(r) + ": timed out after " + std::to_string(timeout_s) + " s\n";
        }
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return all;
}

}  // namespace

std::string RunRanks(int nranks, RankMode mode, const RankBody& body, int timeout_s, std::vector<int>* pids) {
  chorusUniqueId id;
  chorusResult_t r = chorusGetUniqueId(&id);
  if (r != chorusSuccess) return std::string("chorusGetUniqueId: ") + chorusGetErrorString(r);
  if (mode == RankMode::kThreads) return RunThreads(nranks, body, id);
  std::string result = RunProcesses(nranks, body, id, timeout_s, pids);
  // The forked rank 0 adopted the id's listening socket; the parent's copy must not linger.
  ReleaseUniqueId(id);
  return result;
}

std::string LeakedSegments(const std::vector<int>& ranks) {
  std::string leaked;
  DIR* d = opendir("/dev/shm");
  if (d == nullptr) return "";
  while (dirent* e = readdir(d)) {
    int pid = 0;
    if (sscanf(e->d_name, "chorus-%d-", &pid) == 1 && std::find(ranks.begin(), ranks.end(), pid) != ranks.end()) {
      leaked += std::string(e->d_name) + " ";
    }
  }
  closedir(d);
  return leaked;
}

ScopedEnv::ScopedEnv(const char* name, const char* value) : name_(name) {
  const char* old = getenv(name);
  had_ = old != nullptr;
  if (had_) old_ = old;
  if (value != nullptr) {
    setenv(name, value, 1);
  } else {
    unsetenv(name);
  }
}

ScopedEnv::~ScopedEnv() {
  if (had_) {
    setenv(name_.c_str(), old_.c_str(), 1);
  } else {
    unsetenv(name_.c_str());
  }
}

}  // namespace chorus::testing
