// Pairwise exchange all-to-all: at step k (1..n-1) rank r sends its block for (r+k) and receives
// the block of (r-k). Every step is one message each way, so no link carries two messages at a
// time in a symmetric network; n-1 latencies, (n-1)/n of the data per rank.
//
// In place, the output is the input: a block received at step k would overwrite input block
// (r-k), which is sent only at step n-k. Received blocks are therefore staged in scratch and
// copied into place at the end (each copy waits for the send of the block it overwrites).
#include "algorithms/emit.h"
#include "algorithms/registry.h"

namespace chorus::sched {
namespace {

bool Applies(const CollArgs& a) { return a.coll == Collective::kAllToAll; }

// Returns the scratch elements used.
Count AllToAll(const CollArgs& a, Rank r, Range part, Count scratch_base, Emitter& e) {
  const int n = a.nranks;
  auto at = [&](Rank b) { return static_cast<Count>(b) * a.count + part.offset; };
  // Staging for blocks of peers 1..n-1 steps away (in place only).
  auto stage = [&](int k) {
    return Scratch(scratch_base + static_cast<Count>(k - 1) * part.count, part.count);
  };
  for (int k = 1; k < n; ++k) {
    Rank to = Mod(r + k, n), from = Mod(r - k, n);
    e.Send(to, In(at(to), part.count));
    // The local block is copied while the first message is on its way.
    if (k == 1 && !a.in_place) e.Copy(In(at(r), part.count), Out(at(r), part.count));
    e.Recv(from, a.in_place ? stage(k) : Out(at(from), part.count));
  }
  if (n == 1 && !a.in_place) e.Copy(In(at(r), part.count), Out(at(r), part.count));
  if (!a.in_place) return 0;
  for (int k = 1; k < n; ++k) e.Copy(stage(k), Out(at(Mod(r - k, n)), part.count));
  return static_cast<Count>(n - 1) * part.count;
}

Status Generate(const CollArgs& a, Rank r, RankProgram* out) {
  auto channel = [&](Emitter& e, Range part, Count scratch) {
    return AllToAll(a, r, part, scratch, e);
  };
  return GeneratePerChannel(a, r, out, "pairwise", Applies, channel);
}

}  // namespace

CHORUS_REGISTER_ALGORITHM(pairwise, "pairwise", Applies, Generate);

}  // namespace chorus::sched
