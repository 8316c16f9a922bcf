// chorus-sched: the programs an algorithm generates for one call, as the executor would run them
// ("algorithms are data": this shows the data). Prints every rank's steps, proves them with the
// symbolic verifier (--verify) or prints one fingerprint of all of them (--fingerprint), so two
// algorithms that generate the same program for a call can be told apart from two that do not.
#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "algorithms/registry.h"
#include "algorithms/schedule.h"
#include "algorithms/verifier.h"
#include "bootstrap/sha256.h"
#include "core/types.h"

namespace {

using namespace chorus;

// A tool to look at programs, not a stress test: beyond these a typo would run for minutes.
constexpr int kMaxRanks = 4096;
constexpr size_t kMaxSteps = size_t{4} << 20;
// Before generating: most generators write at most a few steps per peer and piece, so
// ranks x ranks x pieces (of the chunk, else 512 KiB) bounds the steps within a small factor.
constexpr double kMaxStepBound = 4.0 * static_cast<double>(kMaxSteps);

constexpr const char* kUsage = R"(usage: chorus-sched ALGORITHM [options]
       chorus-sched --list

Prints the program ALGORITHM generates for each rank of one call (default: all-reduce of 1 MiB
of float32 on 2 ranks, out of place, one channel, the generator's own chunk size), as the
executor runs it: one line per step.

  --coll NAME        allreduce, allgather, reducescatter, alltoall, broadcast, reduce
  --ranks N          ranks (default 2; at most 4096, and fewer for large calls: see exit 1)
  --bytes B          the call's count in bytes: count = B / the type's size (suffixes K, M, G)
  --count N          the call's count in elements (as the API's count argument)
  --type NAME        data type (default float32)
  --op NAME          reduction (default sum)
  --root R           root of broadcast and reduce (default 0)
  --chunk B          pipelining grain in bytes (default 0: the generator's default)
  --channels N       channels (default 1)
  --in-place         the call is in place on every rank
  --rank R           print only rank R's program (not with --verify or --fingerprint)
  --verify           prove the programs with the symbolic verifier; print "verified" or the error
  --fingerprint      print one hash of every rank's program instead of the programs
  --list             list the registered algorithms and exit
Exit status: 0 done; 1 the algorithm does not implement the call, the generator refused it, the
programs are too large to show, or the verifier failed; 2 bad arguments.
)";

bool ParseCount(const char* s, uint64_t* out) {
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s, &end, 10);
  if (end == s || errno != 0 || s[0] == '-') return false;
  uint64_t mult = 1;
  if (*end == 'K' || *end == 'k') mult = 1ull << 10, ++end;
  else if (*end == 'M' || *end == 'm') mult = 1ull << 20, ++end;
  else if (*end == 'G' || *end == 'g') mult = 1ull << 30, ++end;
  if (*end != '\0' || v > (uint64_t{1} << 62) / mult) return false;
  *out = v * mult;
  return true;
}

bool ParseSmall(const char* s, int lo, int hi, int* out) {
  char* end = nullptr;
  long v = std::strtol(s, &end, 10);
  if (end == s || *end != '\0' || v < lo || v > hi) return false;
  *out = static_cast<int>(v);
  return true;
}

std::string Fingerprint(const std::vector<sched::RankProgram>& programs) {
  std::string all;
  for (const auto& p : programs) all += sched::ToString(p);
  uint8_t digest[32];
  bootstrap::Sha256(all.data(), all.size(), digest);
  char hex[17];
  for (int i = 0; i < 8; ++i) std::snprintf(hex + 2 * i, 3, "%02x", digest[i]);
  return hex;
}

int Run(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::string name;
  sched::CollArgs a;
  a.nranks = 2;
  DataType type = DataType::kFloat32;
  uint64_t bytes = 1 << 20, count = 0, chunk = 0;
  bool have_count = false, verify = false, fingerprint = false;
  int only_rank = -1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    bool ok = true, takes = true;
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--list") {
      for (const auto& algo : sched::Algorithms()) std::printf("%s\n", algo.name);
      return 0;
    } else if (arg == "--coll") {
      ok = v != nullptr && ParseCollective(v, &a.coll) && a.coll != Collective::kSendRecv && a.coll != Collective::kBarrier;
    } else if (arg == "--ranks") {
      ok = v != nullptr && ParseSmall(v, 1, kMaxRanks, &a.nranks);
    } else if (arg == "--bytes") {
      ok = v != nullptr && ParseCount(v, &bytes);
      have_count = false;
    } else if (arg == "--count") {
      ok = v != nullptr && ParseCount(v, &count);
      have_count = true;
    } else if (arg == "--type") {
      ok = v != nullptr && ParseDataType(v, &type);
    } else if (arg == "--op") {
      ok = v != nullptr && ParseReduceOp(v, &a.op);
    } else if (arg == "--root") {
      ok = v != nullptr && ParseSmall(v, 0, kMaxRanks, &a.root);
    } else if (arg == "--chunk") {
      ok = v != nullptr && ParseCount(v, &chunk);
    } else if (arg == "--channels") {
      ok = v != nullptr && ParseSmall(v, 1, 64, &a.channels);
    } else if (arg == "--rank") {
      ok = v != nullptr && ParseSmall(v, 0, kMaxRanks, &only_rank);
    } else {
      takes = false;
      if (arg == "--in-place") a.in_place = true;
      else if (arg == "--verify") verify = true;
      else if (arg == "--fingerprint") fingerprint = true;
      else if (!arg.empty() && arg[0] != '-' && name.empty()) name = arg;
      else {
        std::fprintf(stderr, "chorus-sched: unknown argument '%s'\n", arg.c_str());
        return 2;
      }
    }
    if (!ok) {
      std::fprintf(stderr, "chorus-sched: %s needs a valid value\n", arg.c_str());
      return 2;
    }
    if (takes) ++i;
  }
  if (name.empty()) {
    std::fprintf(stderr, "chorus-sched: missing ALGORITHM\n%s", kUsage);
    return 2;
  }
  if (only_rank >= 0 && (verify || fingerprint)) {
    std::fprintf(stderr, "chorus-sched: --rank prints one rank's program; --verify and --fingerprint take every rank\n");
    return 2;
  }
  const sched::Algorithm* algo = sched::FindAlgorithm(name);
  if (algo == nullptr) {
    std::fprintf(stderr, "chorus-sched: no algorithm '%s' (--list shows them)\n", name.c_str());
    return 2;
  }
  a.elem_size = SizeOf(type);
  a.count = static_cast<Count>(have_count ? count : bytes / a.elem_size);
  a.chunk_bytes = chunk;
  if (a.root >= a.nranks || only_rank >= a.nranks) {
    std::fprintf(stderr, "chorus-sched: --root and --rank must name one of the %d ranks\n", a.nranks);
    return 2;
  }
  if (!algo->applies(a)) {
    std::fprintf(stderr, "chorus-sched: %s does not implement this call (%s, %d ranks)\n", name.c_str(),
                 Name(a.coll), a.nranks);
    return 1;
  }
  const double piece = static_cast<double>(chunk > 0 ? chunk : 512 * 1024);
  const double pieces = std::max(1.0, static_cast<double>(a.count) * static_cast<double>(a.elem_size) / piece);
  if (static_cast<double>(a.nranks) * a.nranks * pieces > kMaxStepBound) {
    std::fprintf(stderr, "chorus-sched: the programs would exceed %zu steps; use fewer ranks, a smaller count or a larger --chunk\n", kMaxSteps);
    return 1;
  }
  std::vector<sched::RankProgram> programs(static_cast<size_t>(a.nranks));
  size_t steps = 0;
  for (Rank r = 0; r < a.nranks; ++r) {
    const sched::CollArgs mine = sched::ArgsForRank(a, r);
    Status st = algo->generate(mine, r, &programs[static_cast<size_t>(r)]);
    if (!st.ok()) {
      std::fprintf(stderr, "chorus-sched: %s\n", st.message().c_str());
      return 1;
    }
    sched::MarkUnreadResults(mine, &programs[static_cast<size_t>(r)]);
    for (const auto& ch : programs[static_cast<size_t>(r)].channels) steps += ch.steps.size();
    if (steps > kMaxSteps) {
      std::fprintf(stderr, "chorus-sched: the programs exceed %zu steps; use fewer ranks, a smaller count or a larger --chunk\n", kMaxSteps);
      return 1;
    }
  }
  if (verify) {
    sched::VerifyStats stats;
    Status st = sched::VerifySchedule(a, programs, &stats);
    if (!st.ok()) {
      std::printf("not verified: %s\n", st.message().c_str());
      return 1;
    }
    std::printf("verified: %zu steps, %zu messages\n", stats.steps, stats.messages);
    return 0;
  }
  if (fingerprint) {
    std::printf("%s\n", Fingerprint(programs).c_str());
    return 0;
  }
  for (Rank r = 0; r < a.nranks; ++r) {
    if (only_rank < 0 || only_rank == r) std::fputs(sched::ToString(programs[static_cast<size_t>(r)]).c_str(), stdout);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
