// Rabenseifner: reduce-scatter by recursive halving and, for all-reduce, an all-gather by
// recursive doubling after it, over p = 2^k active ranks (fold.h folds the rest). In halving step
// s a rank keeps half of its current range of blocks and sends the other half to the partner
// whose active index differs in bit k-1-s; after k steps active index i holds its blocks fully
// reduced (and finalizes them). The all-gather retraces the steps backwards.
//
// All-reduce: 2 log2 p latencies and 2(p-1)/p of the data: medium and large messages on many
// ranks. Blocks are the p parts of the vector; partial sums accumulate in the output: the half a
// rank sends and the half it keeps are disjoint, so no step writes what a pending send still
// reads (also when the input is the output).
//
// Reduce-scatter: log2 p latencies and (p-1)/p of the data. Blocks are the n ranks' result
// blocks; active index i stands for the contiguous blocks of the ranks it folds (FirstRank(i) up
// to FirstRank(i+1)), so every range of indices is a range of blocks. Partial sums live in
// scratch (the output holds only the rank's own block); the last step reduces straight into the
// output, and a rank that carries an extra rank's data also finishes the extra's block and sends
// it back.
#include "algorithms/emit.h"
#include "algorithms/fold.h"
#include "algorithms/registry.h"

namespace chorus::sched {
namespace {

bool Applies(const CollArgs& a) {
  return a.coll == Collective::kAllReduce || a.coll == Collective::kReduceScatter;
}

// One halving step over the active indices [lo, hi) that `me` belongs to: `me` keeps the half
// [keep_lo, keep_lo + half) that contains it and sends [send_lo, send_lo + half) to `partner`.
struct Halving {
  int half, keep_lo, send_lo;
  Rank partner;
};
Halving Halve(const Fold& f, int me, int lo, int hi) {
  int half = (hi - lo) / 2;  // the partner differs in this bit of the active index
  bool upper = (me & half) != 0;
  return {half, upper ? lo + half : lo, upper ? lo : lo + half, f.ActiveRank(me ^ half)};
}

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
    Halving h = Halve(f, me, lo, hi);
    e.Send(h.partner, blocks(cur, h.send_lo, h.send_lo + h.half));
    e.RecvReduce(h.partner, blocks(cur, h.keep_lo, h.keep_lo + h.half),
                 blocks(Buffer::kOutput, h.keep_lo, h.keep_lo + h.half), s == steps - 1);
    lo = h.keep_lo;
    hi = h.keep_lo + h.half;
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

// Calls fn(lo, hi) for each message that carries result blocks [lo, hi): all of them in one, or
// one block per message when `split`.
template <typename Fn>
void ForMessages(Rank lo, Rank hi, bool split, Fn fn) {
  if (!split) {
    if (lo < hi) fn(lo, hi);
    return;
  }
  for (Rank b = lo; b < hi; ++b) fn(b, b + 1);
}

// Returns the scratch elements used.
Count ReduceScatter(const CollArgs& a, Rank r, Range part, Count scratch_base, Emitter& e) {
  const int n = a.nranks;
  const Fold f(n);
  const int steps = f.Steps();
  const Slice out = Out(part.offset, part.count);
  // Input blocks [lo, hi) of this channel: one slice only with one channel or one block (with
  // several channels a block's part is not next to the next block's).
  auto in = [&](Rank lo, Rank hi) {
    return In(static_cast<Count>(lo) * a.count + part.offset,
              static_cast<Count>(hi - lo) * part.count);
  };
  if (n == 1) {
    e.Copy(in(0, 1), out, /*finalize=*/true);
    return 0;
  }
  const bool strided = a.channels > 1;
  if (f.IsExtra(r)) {
    ForMessages(0, n, strided, [&](Rank lo, Rank hi) { e.Send(r + 1, in(lo, hi)); });
    e.Recv(r + 1, out);
    return 0;
  }
  const bool carries = r < 2 * f.rem;  // also reduces extra rank r-1's data
  const int me = f.Active(r);
  // Scratch holds blocks [first, last) packed, whatever the channels: every block if this rank
  // carries an extra one, else the half kept in step 0 (the later halves are inside it).
  const Halving h0 = Halve(f, me, 0, f.p);
  const Rank first = carries ? 0 : f.FirstRank(h0.keep_lo);
  const Rank last = carries ? n : f.FirstRank(h0.keep_lo + h0.half);
  auto scratch = [&](Rank lo, Rank hi) {
    return Scratch(scratch_base + static_cast<Count>(lo - first) * part.count,
                   static_cast<Count>(hi - lo) * part.count);
  };
  bool in_scratch = false;  // where this rank's partial sums are: input or scratch
  auto cur = [&](Rank lo, Rank hi) { return in_scratch ? scratch(lo, hi) : in(lo, hi); };
  if (carries) {
    ForMessages(0, n, strided, [&](Rank lo, Rank hi) {
      e.RecvReduce(r - 1, in(lo, hi), scratch(lo, hi));
    });
    in_scratch = true;
  }
  int lo = 0, hi = f.p;
  for (int s = 0; s < steps; ++s) {
    const Halving h = Halve(f, me, lo, hi);
    const bool final_step = s == steps - 1;
    // A message per block where one side may read the strided input (step 0), and in the last
    // step for an index that stands for two ranks: each of its blocks has its own destination.
    // Both sides of a message derive the same split from the indices it carries.
    auto split = [&](int index) {
      return (s == 0 && strided) || (h.half == 1 && index < f.rem);
    };
    ForMessages(f.FirstRank(h.send_lo), f.FirstRank(h.send_lo + h.half), split(h.send_lo),
                [&](Rank blo, Rank bhi) { e.Send(h.partner, cur(blo, bhi)); });
    ForMessages(f.FirstRank(h.keep_lo), f.FirstRank(h.keep_lo + h.half), split(h.keep_lo),
                [&](Rank blo, Rank bhi) {
                  Slice dst = final_step && blo == r ? out : scratch(blo, bhi);
                  e.RecvReduce(h.partner, cur(blo, bhi), dst, final_step);
                });
    in_scratch = true;
    lo = h.keep_lo;
    hi = h.keep_lo + h.half;
  }
  if (carries) e.Send(r - 1, scratch(r - 1, r));
  // Without an extra rank and with one step, everything went straight into the output.
  return carries || steps > 1 ? static_cast<Count>(last - first) * part.count : 0;
}

Status Generate(const CollArgs& a, Rank r, RankProgram* out) {
  auto channel = [&](Emitter& e, Range part, Count scratch) {
    if (a.coll == Collective::kReduceScatter) return ReduceScatter(a, r, part, scratch, e);
    AllReduce(a, r, part, e);
    return Count{0};
  };
  return GeneratePerChannel(a, r, out, "rabenseifner", Applies, channel);
}

}  // namespace

CHORUS_REGISTER_ALGORITHM(rabenseifner, "rabenseifner", Applies, Generate);

}  // namespace chorus::sched
