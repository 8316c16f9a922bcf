#include "tools/chorus-run/launcher.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "bootstrap/bootstrap.h"
#include "bootstrap/socket.h"

namespace chorus::run {

namespace {

using Clock = std::chrono::steady_clock;

int g_signal_pipe[2] = {-1, -1};
constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

void OnSignal(int sig) {
  int saved = errno;
  unsigned char b = static_cast<unsigned char>(sig);
  ssize_t unused = write(g_signal_pipe[1], &b, 1);
  (void)unused;
  errno = saved;
}

// A fresh id whose root is rank 0's future listener: a port that was free a moment ago and a
// random secret. The launcher keeps no socket open, so no child inherits one.
bool MakeUniqueId(const std::string& host, std::string* text) {
  bootstrap::SockAddr addr;
  Status s = bootstrap::ParseNumericAddr(host, 0, &addr);
  int fd = -1;
  bootstrap::SockAddr bound;
  if (s.ok()) s = bootstrap::Listen(addr, true, &fd, &bound);
  if (!s.ok()) {
    fprintf(stderr, "chorus-run: cannot find a free port on %s: %s\n", host.c_str(), s.message().c_str());
    return false;
  }
  close(fd);
  UniqueIdInfo info;
  info.host = bound.host();
  info.port = bound.port();
  size_t got = 0;
  while (got < sizeof(info.secret)) {
    ssize_t n = getrandom(info.secret + got, sizeof(info.secret) - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      perror("chorus-run: getrandom");
      return false;
    }
    got += static_cast<size_t>(n);
  }
  chorusUniqueId id;
  s = EncodeUniqueId(info, &id);
  if (!s.ok()) {
    fprintf(stderr, "chorus-run: %s\n", s.message().c_str());
    return false;
  }
  *text = UniqueIdToString(id);
  return true;
}

void ResetSignalsInChild() {
  for (int sig : kForwarded) signal(sig, SIG_DFL);
  signal(SIGCHLD, SIG_DFL);
  signal(SIGPIPE, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

[[noreturn]] void ExecRank(const LaunchOptions& opts, int rank, const std::string& id_text) {
  ResetSignalsInChild();
  setpgid(0, 0);  // its own group: signals reach the rank's whole process tree, and only from us
  close(g_signal_pipe[0]);
  close(g_signal_pipe[1]);
  std::string r = std::to_string(rank), n = std::to_string(opts.nranks);
  setenv("CHORUS_RANK", r.c_str(), 1);
  setenv("CHORUS_WORLD_SIZE", n.c_str(), 1);
  setenv("CHORUS_LOCAL_RANK", r.c_str(), 1);
  setenv("CHORUS_LOCAL_SIZE", n.c_str(), 1);
  setenv("CHORUS_UNIQUE_ID", id_text.c_str(), 1);
  if (rank != 0) {
    // Only rank 0 reads the terminal, as with mpirun.
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) {
      dup2(devnull, STDIN_FILENO);
      close(devnull);
    }
  }
  std::vector<char*> argv;
  for (const auto& a : opts.command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  fprintf(stderr, "chorus-run: rank %d: cannot run '%s': %s\n", rank, argv[0], strerror(errno));
  _exit(127);
}

struct RankProc {
  pid_t pid = -1;
  bool running = false;
  int code = 0;  // exit code, or 128 + signal
};

std::string DescribeStatus(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("was killed by signal ") + std::to_string(WTERMSIG(status)) + " (" +
                                  strsignal(WTERMSIG(status)) + ")";
  return "stopped";
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

int Launch(const LaunchOptions& opts) {
  std::string id_text;
  if (!MakeUniqueId(opts.root_host, &id_text)) return 1;
  if (pipe2(g_signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    perror("chorus-run: pipe");
    return 1;
  }
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int sig : kForwarded) sigaction(sig, &sa, nullptr);
  sigaction(SIGCHLD, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::vector<RankProc> ranks(opts.nranks);
  int live = 0;
  auto signal_all = [&](int sig) {
    for (auto& p : ranks) {
      if (p.running) kill(-p.pid, sig);
    }
  };
  fflush(stdout);
  fflush(stderr);
  for (int r = 0; r < opts.nranks; ++r) {
    pid_t pid = fork();
    if (pid < 0) {
      perror("chorus-run: fork");
      signal_all(SIGKILL);
      for (auto& p : ranks) {
        if (p.running) waitpid(p.pid, nullptr, 0);
      }
      return 1;
    }
    if (pid == 0) ExecRank(opts, r, id_text);
    setpgid(pid, pid);  // also here: whichever of parent and child runs first
    ranks[r].pid = pid;
    ranks[r].running = true;
    ++live;
    if (opts.verbose) fprintf(stderr, "chorus-run: rank %d is pid %d\n", r, static_cast<int>(pid));
  }

  const auto start = Clock::now();
  int first_failed = -1;
  Clock::time_point failed_at, term_at;
  bool termed = false, killed = false, timed_out = false;
  int user_signals = 0;
  while (live > 0) {
    int status = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      for (int r = 0; r < opts.nranks; ++r) {
        if (ranks[r].pid != pid || !ranks[r].running) continue;
        ranks[r].running = false;
        --live;
        ranks[r].code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        bool failed = ranks[r].code != 0;
        if (failed && first_failed < 0 && !termed && user_signals == 0) {
          first_failed = r;
          failed_at = Clock::now();
          if (live > 0) {
            fprintf(stderr, "chorus-run: rank %d (pid %d) %s; stopping the other %d rank(s) in %.1f s\n", r,
                    static_cast<int>(pid), DescribeStatus(status).c_str(), live, opts.grace_s);
          } else {
            fprintf(stderr, "chorus-run: rank %d (pid %d) %s\n", r, static_cast<int>(pid), DescribeStatus(status).c_str());
          }
        } else if (opts.verbose) {
          fprintf(stderr, "chorus-run: rank %d (pid %d) %s\n", r, static_cast<int>(pid), DescribeStatus(status).c_str());
        }
      }
    }
    if (live == 0) break;
    unsigned char sigs[64];
    ssize_t n = read(g_signal_pipe[0], sigs, sizeof(sigs));
    for (ssize_t i = 0; i < n; ++i) {
      int sig = sigs[i];
      if (sig == SIGCHLD) continue;
      ++user_signals;
      if (user_signals > 1 && (sig == SIGINT || sig == SIGTERM)) {
        fprintf(stderr, "chorus-run: second signal: killing all ranks\n");
        signal_all(SIGKILL);
        killed = true;
      } else {
        signal_all(sig);
      }
    }
    auto now = Clock::now();
    if (opts.timeout_s > 0 && !timed_out && Seconds(now - start) >= opts.timeout_s) {
      timed_out = true;
      fprintf(stderr, "chorus-run: timed out after %.1f s; stopping %d rank(s)\n", opts.timeout_s, live);
      signal_all(SIGTERM);
      termed = true;
      term_at = now;
    }
    if (first_failed >= 0 && !termed && Seconds(now - failed_at) >= opts.grace_s) {
      signal_all(SIGTERM);
      termed = true;
      term_at = now;
    }
    if (termed && !killed && Seconds(now - term_at) >= opts.grace_s) {
      signal_all(SIGKILL);
      killed = true;
    }
    pollfd p = {g_signal_pipe[0], POLLIN, 0};
    poll(&p, 1, 50);
  }
  if (timed_out) return 124;
  if (first_failed >= 0) return ranks[first_failed].code;
  for (const auto& p : ranks) {
    if (p.code != 0) return p.code;  // e.g. ranks that died of a signal we forwarded
  }
  return 0;
}

}  // namespace chorus::run
