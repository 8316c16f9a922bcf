// One-shot all-reduce: every rank sends its whole input to every other rank and reduces all n
// inputs itself. One step of latency, (n-1) times the data on the wire: for small messages, and
// the natural shape on memory-semantic paths where "send" is a store into peer memory.
//
// Every rank combines the inputs in rank order 0, 1, ..., n-1 (((x0 + x1) + x2) + ...), so every
// rank builds the same reduction tree and finalizes bit-identical results. Receives reduce
// straight into the output; a rank's own input joins at its place in the order. In place, the
// output is the input, so each rank first copies its input to scratch.
#include "algorithms/emit.h"
#include "algorithms/registry.h"

namespace chorus::sched {
namespace {

bool Applies(const CollArgs& a) { return a.coll == Collective::kAllReduce; }

// Returns the scratch elements used.
Count AllReduce(const CollArgs& a, Rank r, Range part, Count base, Emitter& e) {
  const int n = a.nranks;
  Slice in = In(part.offset, part.count), out = Out(part.offset, part.count);
  if (n == 1) {
    e.Copy(in, out, /*finalize=*/true);
    return 0;
  }
  // In place, sends from the input would hold back every write to the output until all peers
  // have received: send (and reduce) a scratch copy instead.
  Count used = 0;
  Slice own = in;
  if (a.in_place) {
    own = Scratch(base, part.count);
    e.Copy(in, own);
    used = part.count;
  }
  for (int k = 1; k < n; ++k) e.Send(Mod(r + k, n), own);
  // x0 (op) x1 first, then x2, x3, ...
  if (r <= 1) {
    e.RecvReduce(1 - r, own, out, n == 2);
  } else {
    e.Recv(0, out);
    e.RecvReduce(1, out, out, false);
  }
  for (Rank j = 2; j < n; ++j) {
    bool last = j == n - 1;
    if (j == r) {
      e.LocalReduce(own, out, last);
    } else {
      e.RecvReduce(j, out, out, last);
    }
  }
  return used;
}

Status Generate(const CollArgs& a, Rank r, RankProgram* out) {
  auto channel = [&](Emitter& e, Range part, Count scratch) {
    return AllReduce(a, r, part, scratch, e);
  };
  return GeneratePerChannel(a, r, out, "one_shot", Applies, channel);
}

}  // namespace

CHORUS_REGISTER_ALGORITHM(one_shot, "one_shot", Applies, Generate);

}  // namespace chorus::sched
