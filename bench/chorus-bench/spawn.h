// Starting and stopping the processes of one implementation.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace chorus::bench {

// How to start one process: argv (argv[0] looked up in PATH when it has no '/'), variables to set
// and variables to remove from this process's environment.
struct ProcSpec {
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> set_env;
  std::vector<std::string> unset_env;
};

// Starts it in a new process group (so that killing the group also reaches mpirun's children).
// Returns the pid, or -1 with a message.
pid_t SpawnProcess(const ProcSpec& spec, std::string* error);

// The path of the running executable, and its directory.
std::string SelfExe();
std::string DirName(const std::string& path);

// One implementation's ranks, driven by the coordinator.
class GroupLauncher {
 public:
  virtual ~GroupLauncher() = default;
  // Starts the ranks; they open the pipes named by (dir, name) (see protocol.h).
  virtual bool Start(const std::string& dir, const std::string& name, std::string* error) = 0;
  // Called before each of this group's turns (threads: set CHORUS_ALGO).
  virtual void BeforeTurn() {}
  // False once one of its processes (or threads) has exited; *why says how.
  virtual bool Alive(std::string* why) = 0;
  // Stops everything now.
  virtual void Terminate() = 0;
  // After "quit": waits up to timeout_ms for a clean exit, then terminates. True when all exited 0.
  virtual bool Finish(int timeout_ms) = 0;
};

// Processes built by `make` once the pipe directory and group name are known.
class ProcessLauncher : public GroupLauncher {
 public:
  using Maker = std::function<std::vector<ProcSpec>(const std::string& dir, const std::string& name)>;
  explicit ProcessLauncher(Maker make) : make_(std::move(make)) {}
  ~ProcessLauncher() override;
  bool Start(const std::string& dir, const std::string& name, std::string* error) override;
  bool Alive(std::string* why) override;
  void Terminate() override;
  bool Finish(int timeout_ms) override;
  const std::vector<pid_t>& pids() const { return pids_; }

 private:
  bool Reap(std::size_t i, bool block);
  Maker make_;
  std::vector<pid_t> pids_;
  std::vector<int> status_;  // -1 while running
};

}  // namespace chorus::bench
