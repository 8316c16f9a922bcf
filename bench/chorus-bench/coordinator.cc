#include "chorus-bench/coordinator.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <thread>

#include "chorus-bench/channel.h"
#include "chorus-bench/progress.h"
#include "chorus-bench/protocol.h"
#include "chorus-bench/runinfo.h"
#include "chorus-bench/table.h"

namespace chorus::bench {
namespace {

std::atomic<bool> g_interrupted{false};

void OnSignal(int) { g_interrupted = true; }

constexpr int kTickMs = 200;

struct Live {
  Group* group = nullptr;
  std::string name;
  std::vector<int> cmd_fds;
  std::vector<std::unique_ptr<LineReader>> readers;
  std::vector<ReadyInfo> ready;
  bool alive = true;
  std::string dead_reason;
};

void CloseAll(Live& l) {
  for (int fd : l.cmd_fds) close(fd);
  for (auto& r : l.readers) close(r->fd());
  l.cmd_fds.clear();
  l.readers.clear();
}

void Kill(Live& l, const std::string& why) {
  if (!l.alive) return;
  l.alive = false;
  l.dead_reason = why;
  l.group->launcher->Terminate();
  std::fprintf(stderr, "chorus-bench: %s stopped: %s\n", l.group->info.Label().c_str(), why.c_str());
}

// Reads one line from rank r of `l` before `deadline`, checking that the group is still alive.
bool ReadFromRank(Live& l, std::size_t r, std::chrono::steady_clock::time_point deadline, int timeout_s,
                  std::string* line, std::string* why) {
  for (;;) {
    if (g_interrupted) {
      *why = "interrupted";
      return false;
    }
    const auto res = l.readers[r]->Next(line, kTickMs);
    if (res == LineReader::Result::kLine) return true;
    if (res != LineReader::Result::kTimeout) {
      *why = "lost the result pipe of rank " + std::to_string(r);
      return false;
    }
    std::string dead;
    if (!l.group->launcher->Alive(&dead)) {
      // It may have written its line just before exiting: one more look.
      if (l.readers[r]->Next(line, 0) == LineReader::Result::kLine) return true;
      *why = dead;
      return false;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      *why = "rank " + std::to_string(r) + " did not answer within " + std::to_string(timeout_s) + " s";
      return false;
    }
  }
}

bool ReadFromAll(Live& l, int timeout_s, std::vector<std::string>* lines, std::string* why) {
  lines->assign(l.readers.size(), "");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  for (std::size_t r = 0; r < l.readers.size(); ++r) {
    if (!ReadFromRank(l, r, deadline, timeout_s, &(*lines)[r], why)) return false;
  }
  return true;
}

// Passes rank 0's unique id to the other ranks.
bool RelayUid(Live& l, int timeout_s, std::string* why) {
  std::string line, hex;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  if (!ReadFromRank(l, 0, deadline, timeout_s, &line, why)) return false;
  if (!DecodeUid(line, &hex, why)) {
    // Rank 0 failed before it had an id: its ready line says why.
    ReadyInfo r;
    std::string ignored;
    if (DecodeReady(line, &r, &ignored) && !r.error.empty()) *why = "rank 0: " + r.error;
    return false;
  }
  for (std::size_t r = 1; r < l.cmd_fds.size(); ++r) WriteLine(l.cmd_fds[r], UidCommand(hex));
  return true;
}

bool Open(Live& l, const std::string& dir, int nranks, std::string* err) {
  for (int r = 0; r < nranks; ++r) {
    const std::string cmd = CommandPipe(dir, l.name, r);
    const std::string out = ResultPipe(dir, l.name, r);
    if (!MakeFifo(cmd, err) || !MakeFifo(out, err)) return false;
    // Read-write opens never block and never see EOF: ranks may come and go at their own pace, and
    // liveness is checked through the launcher instead.
    const int cfd = open(cmd.c_str(), O_RDWR | O_CLOEXEC);
    const int ofd = open(out.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (cfd < 0 || ofd < 0) {
      *err = "open " + cmd + ": " + std::strerror(errno);
      if (cfd >= 0) close(cfd);
      if (ofd >= 0) close(ofd);
      return false;
    }
    l.cmd_fds.push_back(cfd);
    l.readers.push_back(std::make_unique<LineReader>(ofd));
  }
  return true;
}

Row FailedRow(const Case& c, const GroupInfo& g, int nranks, const std::string& why) {
  Row row;
  row.kase = c;
  row.impl = g.impl;
  row.variant = g.variant;
  row.nranks = nranks;
  row.oop.outcome = row.ip.outcome = Outcome::kError;
  row.oop.message = row.ip.message = why;
  return row;
}

// One placement's figure over several turns: the worst outcome if any turn did not succeed, else
// the turn with the median time; #wrong is the largest any turn saw, so no wrong result hides.
Measure MedianMeasure(std::vector<Measure> m) {
  int64_t wrong = -1;
  for (const Measure& x : m) wrong = std::max(wrong, x.wrong);
  auto worst = std::max_element(m.begin(), m.end(), [](const Measure& a, const Measure& b) {
    return static_cast<int>(a.outcome) < static_cast<int>(b.outcome);
  });
  Measure out;
  if (worst->outcome != Outcome::kOk) {
    out = *worst;
  } else {
    std::sort(m.begin(), m.end(), [](const Measure& a, const Measure& b) { return a.time_us < b.time_us; });
    out = m[(m.size() - 1) / 2];
  }
  out.wrong = wrong;
  return out;
}

Row MedianTurn(const std::vector<Row>& turns) {
  Row row = turns.front();
  if (turns.size() == 1) return row;
  std::vector<Measure> oop, ip;
  for (const Row& t : turns) {
    oop.push_back(t.oop);
    ip.push_back(t.ip);
  }
  row.oop = MedianMeasure(std::move(oop));
  row.ip = MedianMeasure(std::move(ip));
  return row;
}

}  // namespace

int Coordinate(const Options& o, int nranks, RunInfo info, std::vector<Group> groups) {
  std::string err;
  const std::string dir = MakeTempDir("chorus-bench-", &err);
  if (dir.empty()) {
    std::fprintf(stderr, "chorus-bench: %s\n", err.c_str());
    return 1;
  }
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::vector<Live> live(groups.size());
  for (std::size_t g = 0; g < groups.size(); ++g) {
    Live& l = live[g];
    l.group = &groups[g];
    l.name = "g" + std::to_string(g);
    if (!Open(l, dir, nranks, &err) || !l.group->launcher->Start(dir, l.name, &err)) {
      l.alive = false;
      l.dead_reason = err;
      std::fprintf(stderr, "chorus-bench: cannot start %s: %s\n", l.group->info.Label().c_str(), err.c_str());
    }
  }
  // Ready lines: initialisation errors end the group, not the run.
  for (Live& l : live) {
    if (!l.alive) continue;
    if (l.group->relay_uid && !RelayUid(l, o.timeout_s, &err)) {
      Kill(l, "initialisation: " + err);
      continue;
    }
    std::vector<std::string> lines;
    if (!ReadFromAll(l, o.timeout_s, &lines, &err)) {
      Kill(l, "initialisation: " + err);
      continue;
    }
    for (const std::string& line : lines) {
      ReadyInfo r;
      if (!DecodeReady(line, &r, &err)) {
        Kill(l, err);
        break;
      }
      if (!r.error.empty()) {
        Kill(l, "rank " + std::to_string(r.rank) + ": " + r.error);
        break;
      }
      l.ready.push_back(r);
    }
    if (l.alive && l.group->info.version.empty() && !l.ready.empty()) l.group->info.version = l.ready[0].version;
  }
  for (Live& l : live) {
    if (!l.alive) l.group->info.note = "dropped: " + l.dead_reason;
    info.groups.push_back(l.group->info);
  }
  for (std::size_t g = 0; g < live.size(); ++g) {
    for (const ReadyInfo& r : live[g].ready) {
      char buf[256];
      std::snprintf(buf, sizeof buf, "#  Rank %2d Group %2zu Pid %6d on %10s device cpu  %s", r.rank, g, r.pid,
                    r.host.c_str(), live[g].group->info.Label().c_str());
      info.rank_lines.push_back(buf);
    }
  }

  std::vector<std::string> primary, baselines;
  for (const Group& g : groups) (g.info.baseline ? baselines : primary).push_back(g.info.Label());
  TableLayout layout;
  layout.show_variant = primary.size() > 1 || (primary.size() == 1 && !groups[0].info.variant.empty());
  layout.baselines = baselines;
  Report report;
  report.info = info;
  std::fputs(Preamble(info).c_str(), stdout);
  std::fputs(TableHeader(layout).c_str(), stdout);
  std::fflush(stdout);

  const std::vector<Case> cases = MakeCases(o.coll, o.dtypes, o.ops, o.root, SizeSweep(o.sweep), nranks);
  Progress progress(o.progress, static_cast<int>(cases.size()));
  // Tests only: a pause before each case, so that a short sweep can stand for a long one.
  const char* delay_env = std::getenv("CHORUS_BENCH_CASE_DELAY_MS");
  const int case_delay_ms = delay_env != nullptr ? std::atoi(delay_env) : 0;
  std::set<std::string> noted;
  for (const Case& c : cases) {
    if (g_interrupted) break;
    if (case_delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(case_delay_ms));
    std::vector<std::size_t> order(live.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    if (c.index % 2 == 1) std::reverse(order.begin(), order.end());
    // --rounds: every group takes R turns, interleaved (the order flips each round), so that the
    // machine's drift during a case reaches every group alike; each keeps its median turn.
    std::vector<std::vector<Row>> turns(live.size());
    for (int round = 0; round < o.rounds; ++round) {
      if (round > 0) std::reverse(order.begin(), order.end());
      for (std::size_t gi : order) {
        Live& l = live[gi];
        const GroupInfo& gin = l.group->info;
        if (!l.alive) {
          turns[gi].push_back(FailedRow(c, gin, nranks, l.dead_reason));
          continue;
        }
        progress.Update(c.index, Describe(c) + ": " + gin.Label());
        l.group->launcher->BeforeTurn();
        for (int fd : l.cmd_fds) WriteLine(fd, CaseCommand(c.index));
        std::vector<std::string> lines;
        std::vector<RankResult> results(static_cast<std::size_t>(nranks));
        bool ok = ReadFromAll(l, o.timeout_s, &lines, &err);
        for (std::size_t r = 0; ok && r < lines.size(); ++r) {
          ok = DecodeResult(lines[r], &results[r], &err);
          if (ok && results[r].case_index != c.index) {
            ok = false;
            err = "rank " + std::to_string(r) + " answered case " + std::to_string(results[r].case_index);
          }
        }
        if (!ok) {
          Kill(l, err);
          turns[gi].push_back(FailedRow(c, gin, nranks, err));
          continue;
        }
        turns[gi].push_back(CombineRanks(c, gin.impl, gin.variant, results, o.average));
      }
    }
    std::vector<Row> rows(live.size());
    for (std::size_t g = 0; g < live.size(); ++g) rows[g] = MedianTurn(turns[g]);
    progress.Done();
    std::vector<const Row*> base_rows;
    for (std::size_t g = 0; g < live.size(); ++g) {
      if (groups[g].info.baseline) base_rows.push_back(&rows[g]);
    }
    for (std::size_t g = 0; g < live.size(); ++g) {
      if (groups[g].info.baseline) continue;
      std::puts(TableRow(rows[g], base_rows, layout).c_str());
    }
    for (const Row& row : rows) std::fputs(OutcomeNotes(row, &noted).c_str(), stdout);
    std::fflush(stdout);
    for (Row& r : rows) report.rows.push_back(std::move(r));
  }
  progress.Done();
  for (Live& l : live) {
    if (l.alive) {
      for (int fd : l.cmd_fds) WriteLine(fd, kQuitCommand);
      if (!l.group->launcher->Finish(30000)) {
        std::fprintf(stderr, "chorus-bench: %s did not exit cleanly\n", l.group->info.Label().c_str());
      }
    }
    CloseAll(l);
  }
  RemoveTree(dir);
  if (g_interrupted) {
    std::fprintf(stderr, "chorus-bench: interrupted\n");
    return 130;
  }
  return FinishRun(report, o, primary, baselines);
}

}  // namespace chorus::bench
