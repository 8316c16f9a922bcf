// Rabenseifner all-reduce: a reduce-scatter by recursive halving followed by an all-gather by
// recursive doubling, over p = 2^k active ranks (fold.h folds the rest). In halving step s a rank
// keeps half of its current range of blocks and sends the other half to the partner whose index
// differs in bit k-1-s; after k steps active index i holds block i, fully reduced (and
// finalizes it); the all-gather retraces the steps backwards. 2 log2 p latencies and
// 2(p-1)/p of the data: medium and large messages on many ranks.
//
// Partial sums accumulate in the output: the half a rank sends and the half it keeps are
// disjoint, so no step writes what a pending send still reads (also when the input is the output).
#include "algorithms/emit.h"
#include "algorithms/fold.h"
#include "algorithms/registry.h"

namespace chorus::sched {
namespace {

bool Applies(const CollArgs& a) { return a.coll == Collective::kAllReduce; }

void AllReduce(const CollArgs& a, Rank r, Range part, Emitter& e) {
  const Fold f(a.nranks);
  const int steps = f.Steps();
  Slice in = In(part.offset, part.count), out = Out(part.offset, part.count);
  if (a.nranks == 1) {
    e.Copy(in, out, /*finalize=*/true);
    return;
  }
  if (f.IsExtra(r)) {
    e.Send(r + 1, in);
    e.Recv(r + 1, out);
    return;
  }
  // Blocks [lo, hi) of the p blocks this channel's part is split into.
  auto blocks = [&](Buffer b, int lo, int hi) { return Blocks(b, part, f.p, lo, hi); };
  Buffer cur = Buffer::kInput;
  if (r < 2 * f.rem) {
    e.RecvReduce(r - 1, in, out);
    cur = Buffer::kOutput;
  }
  const int me = f.Active(r);
  int lo = 0, hi = f.p;
  for (int s = 0; s < steps; ++s) {
    int half = (hi - lo) / 2;
    int bit = half;  // the partner differs in this bit of the active index
    Rank partner = f.ActiveRank(me ^ bit);
    bool upper = (me & bit) != 0;
    int keep_lo = upper ? lo + half : lo, send_lo = upper ? lo : lo + half;
    e.Send(partner, blocks(cur, send_lo, send_lo + half));
    e.RecvReduce(partner, blocks(cur, keep_lo, keep_lo + half),
                 blocks(Buffer::kOutput, keep_lo, keep_lo + half), s == steps - 1);
    lo = keep_lo;
    hi = keep_lo + half;
    cur = Buffer::kOutput;
  }
  // lo == me: block `me` is final here. Gather back, doubling the range each step.
  for (int size = 1; size < f.p; size *= 2) {
    int mine = me & ~(size - 1), theirs = mine ^ size;
    Rank partner = f.ActiveRank(me ^ size);
    e.Send(partner, blocks(Buffer::kOutput, mine, mine + size));
    e.Recv(partner, blocks(Buffer::kOutput, theirs, theirs + size));
  }
  if (r < 2 * f.rem) e.Send(r - 1, out);
}

Status Generate(const CollArgs& a, Rank r, RankProgram* out) {
  return GeneratePerChannel(a, r, out, "rabenseifner", Applies, [&](Emitter& e, Range part, Count) {
    AllReduce(a, r, part, e);
    return Count{0};
  });
}

}  // namespace

CHORUS_REGISTER_ALGORITHM(rabenseifner, "rabenseifner", Applies, Generate);

}  // namespace chorus::sched
