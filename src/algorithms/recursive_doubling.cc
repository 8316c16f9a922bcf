// Recursive doubling: in step s every active rank exchanges with the rank whose index differs in
// bit s. All-reduce exchanges the whole vector and combines (log2 p latencies, log2 p times the
// data: for tiny messages); all-gather exchanges the blocks gathered so far, doubling them each
// step ((p-1)/p of the data). Rank counts that are not a power of two are folded (fold.h). On two
// ranks the all-reduce's one exchange is one-shot's, and one-shot's pieces write it (one_shot.h).
//
// All-reduce: partners combine the same two operands, so every rank builds the same reduction
// tree and finalizes bit-identical results. The running value alternates between two scratch
// buffers: the buffer sent in step s is not written until step s+2, by when the partner has it.
#include "algorithms/emit.h"
#include "algorithms/fold.h"
#include "algorithms/one_shot.h"
#include "algorithms/registry.h"

namespace chorus::sched {
namespace {

bool Applies(const CollArgs& a) {
  return a.coll == Collective::kAllReduce || a.coll == Collective::kAllGather;
}

// Returns the scratch elements used.
Count AllReduce(const CollArgs& a, Rank r, Range part, Count scratch_base, Emitter& e) {
  const Fold f(a.nranks);
  const int steps = f.Steps();
  Slice in = In(part.offset, part.count), out = Out(part.offset, part.count);
  if (a.nranks == 1) {
    e.Copy(in, out, /*finalize=*/true);
    return 0;
  }
  if (f.IsExtra(r)) {
    e.Send(r + 1, in);
    e.Recv(r + 1, out);
    return 0;
  }
  auto buf = [&](int k) { return Scratch(scratch_base + static_cast<Count>(k) * part.count, part.count); };
  Slice cur = in;
  if (r < 2 * f.rem) {  // take the extra rank's data (into buffer 1: step 0 writes buffer 0)
    Slice dst = steps == 0 ? out : buf(1);
    e.RecvReduce(r - 1, in, dst, steps == 0);
    cur = dst;
  }
  const int me = f.Active(r);
  for (int s = 0; s < steps; ++s) {
    Rank partner = f.ActiveRank(me ^ (1 << s));
    bool last = s == steps - 1;
    // In place, the input is the output: a rank may not receive into what it is sending.
    bool direct = last && !(a.in_place && cur.buffer == Buffer::kInput);
    Slice dst = direct ? out : buf(s % 2);
    e.Send(partner, cur);
    e.RecvReduce(partner, cur, dst, direct);
    cur = dst;
  }
  if (cur.buffer != Buffer::kOutput) e.Copy(cur, out, /*finalize=*/true);
  if (r < 2 * f.rem) e.Send(r - 1, out);
  return 2 * part.count;
}

// Sends or receives output blocks [first, last) of channel part `part` as few messages as
// possible: one when a channel's blocks are contiguous (one channel), else one per block.
template <typename Fn>
void ForBlockRuns(const CollArgs& a, Range part, Rank first, Rank last, Fn fn) {
  if (first >= last) return;
  if (a.channels == 1) {
    fn(Out(static_cast<Count>(first) * a.count, static_cast<Count>(last - first) * a.count));
    return;
  }
  for (Rank b = first; b < last; ++b)
    fn(Out(static_cast<Count>(b) * a.count + part.offset, part.count));
}

void AllGather(const CollArgs& a, Rank r, Range part, Emitter& e) {
  const Fold f(a.nranks);
  Slice own = Out(static_cast<Count>(r) * a.count + part.offset, part.count);
  if (!a.in_place) e.Copy(In(part.offset, part.count), own);
  if (a.nranks == 1) return;
  if (f.IsExtra(r)) {
    e.Send(r + 1, In(part.offset, part.count));
    // Everything but its own block, as the odd rank sends it.
    ForBlockRuns(a, part, 0, r, [&](Slice sl) { e.Recv(r + 1, sl); });
    ForBlockRuns(a, part, r + 1, a.nranks, [&](Slice sl) { e.Recv(r + 1, sl); });
    return;
  }
  if (r < 2 * f.rem) {
    e.Recv(r - 1, Out(static_cast<Count>(r - 1) * a.count + part.offset, part.count));
  }
  const int me = f.Active(r);
  for (int s = 0; s < f.Steps(); ++s) {
    int size = 1 << s;
    int mine = me & ~(size - 1), theirs = mine ^ size;
    Rank partner = f.ActiveRank(me ^ size);
    ForBlockRuns(a, part, f.FirstRank(mine), f.FirstRank(mine + size),
                 [&](Slice sl) { e.Send(partner, sl); });
    ForBlockRuns(a, part, f.FirstRank(theirs), f.FirstRank(theirs + size),
                 [&](Slice sl) { e.Recv(partner, sl); });
  }
  if (r < 2 * f.rem) {
    // Everything but the extra rank's own block.
    ForBlockRuns(a, part, 0, r - 1, [&](Slice sl) { e.Send(r - 1, sl); });
    ForBlockRuns(a, part, r, a.nranks, [&](Slice sl) { e.Send(r - 1, sl); });
  }
}

Status Generate(const CollArgs& a, Rank r, RankProgram* out) {
  auto channel = [&](Emitter& e, Range part, Count scratch) {
    // Two ranks: the one exchange of everything is one-shot's, which pipelines it in pieces (and
    // in place needs two scratch pieces, not the whole vector twice).
    if (a.coll == Collective::kAllReduce && a.nranks == 2) return OneShotAllReduce(a, r, part, scratch, e);
    if (a.coll == Collective::kAllReduce) return AllReduce(a, r, part, scratch, e);
    AllGather(a, r, part, e);
    return Count{0};
  };
  return GeneratePerChannel(a, r, out, "recursive_doubling", Applies, channel);
}

}  // namespace

CHORUS_REGISTER_ALGORITHM(recursive_doubling, "recursive_doubling", Applies, Generate);

}  // namespace chorus::sched
