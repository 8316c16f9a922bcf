#include "chorus-bench/spawn.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <thread>

extern char** environ;

namespace chorus::bench {

pid_t SpawnProcess(const ProcSpec& spec, std::string* error) {
  if (spec.argv.empty()) {
    *error = "empty command";
    return -1;
  }
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    bool drop = false;
    for (const std::string& u : spec.unset_env) drop = drop || name == u;
    for (const auto& kv : spec.set_env) drop = drop || name == kv.first;
    if (!drop) env.push_back(entry);
  }
  for (const auto& [k, v] : spec.set_env) env.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = spec.argv;
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv[0], nullptr, &attr, argv.data(), envp.data());
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    *error = "cannot start " + spec.argv[0] + ": " + std::strerror(rc);
    return -1;
  }
  return pid;
}

std::string SelfExe() {
  char buf[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  return std::string(buf, static_cast<std::size_t>(n));
}

std::string DirName(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

ProcessLauncher::~ProcessLauncher() { Terminate(); }

bool ProcessLauncher::Start(const std::string& dir, const std::string& name, std::string* error) {
  for (const ProcSpec& spec : make_(dir, name)) {
    const pid_t pid = SpawnProcess(spec, error);
    if (pid < 0) {
      Terminate();
      return false;
    }
    pids_.push_back(pid);
    status_.push_back(-1);
  }
  return true;
}

bool ProcessLauncher::Reap(std::size_t i, bool block) {
  if (status_[i] != -1) return true;
  int st = 0;
  const pid_t r = waitpid(pids_[i], &st, block ? 0 : WNOHANG);
  if (r == pids_[i]) {
    status_[i] = st;
    return true;
  }
  if (r < 0 && errno == ECHILD) {
    status_[i] = 0;
    return true;
  }
  return false;
}

bool ProcessLauncher::Alive(std::string* why) {
  for (std::size_t i = 0; i < pids_.size(); ++i) {
    if (Reap(i, false)) {
      const int st = status_[i];
      if (WIFSIGNALED(st)) {
        *why = "process " + std::to_string(pids_[i]) + " killed by signal " + std::to_string(WTERMSIG(st));
      } else {
        *why = "process " + std::to_string(pids_[i]) + " exited with status " + std::to_string(WEXITSTATUS(st));
      }
      return false;
    }
  }
  return true;
}

void ProcessLauncher::Terminate() {
  for (std::size_t i = 0; i < pids_.size(); ++i) {
    if (status_[i] == -1) kill(-pids_[i], SIGKILL);  // its process group: mpirun's ranks too
  }
  for (std::size_t i = 0; i < pids_.size(); ++i) Reap(i, true);
}

bool ProcessLauncher::Finish(int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    bool all = true;
    for (std::size_t i = 0; i < pids_.size(); ++i) all = Reap(i, false) && all;
    if (all) break;
    if (std::chrono::steady_clock::now() > deadline) {
      Terminate();
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  bool clean = true;
  for (int st : status_) clean = clean && WIFEXITED(st) && WEXITSTATUS(st) == 0;
  return clean;
}

}  // namespace chorus::bench
