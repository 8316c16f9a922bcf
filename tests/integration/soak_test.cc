// The soak: a long random sequence of collectives (collective, size, type, op, algorithm, in place,
// root, alignment) across 4 ranks, every result checked. CI runs CHORUS_SOAK_ITERS (default 1500);
// the manual mode is CHORUS_SOAK_ITERS=20000 (or more). The seed is fixed (CHORUS_SOAK_SEED).
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "algorithms/registry.h"
#include "chorus/chorus.h"
#include "support/collective_case.h"
#include "support/test_support.h"

namespace chorus::testing {
namespace {

TEST(Soak, RandomCollectivesAllVerified) {
  const int nranks = 4;
  const long iters = getenv("CHORUS_SOAK_ITERS") ? atol(getenv("CHORUS_SOAK_ITERS")) : 1500;
  const uint64_t seed = getenv("CHORUS_SOAK_SEED") ? strtoull(getenv("CHORUS_SOAK_SEED"), nullptr, 0) : 20261122;
  // One communicator per algorithm setting (CHORUS_ALGO is read when a communicator is made).
  std::vector<std::string> algos = {"auto"};
  for (const auto& a : sched::Algorithms()) algos.push_back(a.name);
  std::string err = RunRanks(nranks, RankMode::kProcesses, [&](int rank, int n, const chorusUniqueId& id) -> std::string {
    chorusComm_t parent = nullptr;
    if (chorusCommInitRank(&parent, n, id, rank, nullptr) != chorusSuccess) return chorusGetLastError(nullptr);
    std::vector<chorusComm_t> comms;
    for (const auto& a : algos) {
      if (a == "auto") unsetenv("CHORUS_ALGO"); else setenv("CHORUS_ALGO", a.c_str(), 1);
      chorusComm_t c = nullptr;
      if (chorusCommSplit(parent, 0, rank, &c, nullptr) != chorusSuccess) return std::string("split: ") + chorusGetLastError(parent);
      comms.push_back(c);
    }
    unsetenv("CHORUS_ALGO");
    const Collective kColls[] = {Collective::kAllReduce, Collective::kAllGather, Collective::kReduceScatter,
                                 Collective::kAllToAll, Collective::kBroadcast, Collective::kReduce};
    Rng rng(seed);  // the same sequence on every rank
    std::string failure;
    long done = 0;
    for (long i = 0; i < iters && failure.empty(); ++i) {
      Case c;
      c.coll = kColls[rng.Below(6)];
      c.type = static_cast<DataType>(rng.Below(kNumDataTypes));
      c.op = Reduces(c.coll) ? static_cast<ReduceOp>(rng.Below(kNumReduceOps)) : ReduceOp::kSum;
      // Log-uniform sizes up to 64K elements, with 0 and 1 common.
      c.count = rng.Below(8) == 0 ? rng.Below(2) : (size_t{1} << rng.Below(17)) + rng.Below(37);
      c.in_place = rng.Below(2) == 1;
      c.root = static_cast<int>(rng.Below(n));
      c.misalign = rng.Below(4) == 0 ? 1 : 0;
      c.seed = rng.Next();
      // An algorithm that implements this call (the auto communicator otherwise).
      size_t pick = rng.Below(algos.size());
      if (pick != 0) {
        sched::CollArgs args;
        args.coll = c.coll;
        args.nranks = n;
        args.count = c.count;
        const sched::Algorithm* a = sched::FindAlgorithm(algos[pick]);
        if (a == nullptr || !a->applies(args)) pick = 0;
      }
      std::string e = RunCase(comms[pick], rank, n, c);
      if (!e.empty()) failure = "iteration " + std::to_string(i) + " [" + algos[pick] + "]: " + e;
      ++done;
    }
    for (auto c : comms) chorusCommDestroy(c);
    chorusCommDestroy(parent);
    if (failure.empty() && done != iters) failure = "ran " + std::to_string(done) + " of " + std::to_string(iters);
    return failure;
  }, 1800);
  EXPECT_EQ(err, "");
}

}  // namespace
}  // namespace chorus::testing
