// Two-shot all-reduce: a reduce-scatter by direct exchange (rank j sends block i of its input to
// rank i, which reduces the n contributions to its block) and an all-gather by direct exchange
// (rank i sends its finished block to every rank). Two steps of latency, 2(n-1)/n of the data:
// medium messages inside one load/store domain. Each block is reduced and finalized by one rank
// only, then copied, so every rank gets the same bits.
#include "algorithms/emit.h"
#include "algorithms/registry.h"

namespace chorus::sched {
namespace {

bool Applies(const CollArgs& a) { return a.coll == Collective::kAllReduce; }

void AllReduce(const CollArgs& a, Rank r, Range part, Emitter& e) {
  const int n = a.nranks;
  auto block = [&](Buffer b, Rank i) { return Block(b, part, n, i); };
  if (n == 1) {
    e.Copy(block(Buffer::kInput, 0), block(Buffer::kOutput, 0), /*finalize=*/true);
    return;
  }
  for (int k = 1; k < n; ++k) {
    Rank to = Mod(r + k, n);
    e.Send(to, block(Buffer::kInput, to));
  }
  Slice mine = block(Buffer::kOutput, r);
  for (int k = 1; k < n; ++k) {
    Rank from = Mod(static_cast<long long>(r) - k, n);
    e.RecvReduce(from, k == 1 ? block(Buffer::kInput, r) : mine, mine, k == n - 1);
  }
  for (int k = 1; k < n; ++k) e.Send(Mod(r + k, n), mine);
  for (int k = 1; k < n; ++k) {
    Rank from = Mod(static_cast<long long>(r) - k, n);
    e.Recv(from, block(Buffer::kOutput, from));
  }
}

Status Generate(const CollArgs& a, Rank r, RankProgram* out) {
  auto channel = [&](Emitter& e, Range part, Count) {
    AllReduce(a, r, part, e);
    return Count{0};
  };
  return GeneratePerChannel(a, r, out, "two_shot", Applies, channel);
}

}  // namespace

CHORUS_REGISTER_ALGORITHM(two_shot, "two_shot", Applies, Generate);

}  // namespace chorus::sched
