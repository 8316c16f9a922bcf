// One-shot all-reduce: every rank sends its whole input to every other rank and reduces all n
// inputs itself. One step of latency, (n-1) times the data on the wire: for small messages, for
// two ranks at sizes beyond the cache (no forwarding chain: each rank reads its input once and
// writes its output once), and the natural shape on memory-semantic paths where "send" is a store
// into peer memory.
//
// Every rank combines the inputs in rank order 0, 1, ..., n-1 (((x0 + x1) + x2) + ...), so every
// rank builds the same reduction tree and finalizes bit-identical results. Receives reduce
// straight into the output; a rank's own input joins at its place in the order.
//
// The data goes in pieces (the chunk size, else kPieceBytes), each sent to every peer one piece
// ahead of its reduction. In place the output is the input, and a piece may not be overwritten
// while it is still being sent: each piece is first copied to one of two scratch pieces, used in
// turn, and sent and reduced from there; the copy stays in cache. Out of place the pieces go
// straight from the input, as the same messages, so ranks that differ in in-place-ness still agree.
#include <algorithm>

#include "algorithms/one_shot.h"
#include "algorithms/registry.h"

namespace chorus::sched {
namespace {

// Small enough that two scratch pieces stay in a core's own cache, large enough that the steps
// between them cost little.
constexpr Bytes kPieceBytes = 512 * 1024;

bool Applies(const CollArgs& a) { return a.coll == Collective::kAllReduce; }

// Reduces piece `p` of every rank into out, `own` holding this rank's.
void ReducePiece(const CollArgs& a, Rank r, Slice own, Slice out, Emitter& e) {
  const int n = a.nranks;
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
}

// Returns the scratch elements used.
Count AllReduce(const CollArgs& a, Rank r, Range part, Count base, Emitter& e) {
  const int n = a.nranks;
  if (n == 1) {
    e.Copy(In(part.offset, part.count), Out(part.offset, part.count), /*finalize=*/true);
    return 0;
  }
  if (part.count == 0) return 0;
  const Count chunk = ChunkElems(a);
  const Count piece = chunk > 0 ? chunk : std::max<Count>(1, kPieceBytes / std::max<Bytes>(1, a.elem_size));
  const Count pieces = (part.count + piece - 1) / piece;
  auto range = [&](Count p) {
    const Count offset = p * piece;
    return Range{part.offset + offset, std::min(piece, part.count - offset)};
  };
  auto own = [&](Count p) {
    const Range x = range(p);
    return a.in_place ? Scratch(base + (p % 2) * piece, x.count) : In(x.offset, x.count);
  };
  auto post = [&](Count p) {
    const Range x = range(p);
    if (a.in_place) e.Copy(In(x.offset, x.count), own(p));
    for (int k = 1; k < n; ++k) e.Send(Mod(r + k, n), own(p));
  };
  post(0);
  for (Count p = 0; p < pieces; ++p) {
    if (p + 1 < pieces) post(p + 1);
    const Range x = range(p);
    ReducePiece(a, r, own(p), Out(x.offset, x.count), e);
  }
  if (!a.in_place) return 0;
  return pieces == 1 ? part.count : 2 * piece;
}

Status Generate(const CollArgs& a, Rank r, RankProgram* out) {
  auto channel = [&](Emitter& e, Range part, Count scratch) { return OneShotAllReduce(a, r, part, scratch, e); };
  return GeneratePerChannel(a, r, out, "one_shot", Applies, channel);
}

}  // namespace

Count OneShotAllReduce(const CollArgs& a, Rank r, Range part, Count scratch_base, const Emitter& e) {
  Emitter whole = e.Unchunked();  // the pieces are the chunks
  return AllReduce(a, r, part, scratch_base, whole);
}

CHORUS_REGISTER_ALGORITHM(one_shot, "one_shot", Applies, Generate);

}  // namespace chorus::sched
