// Two-shot all-reduce: a reduce-scatter by direct exchange (rank j sends block i of its input to
// rank i, which reduces the n contributions to its block) and an all-gather by direct exchange
// (rank i sends its finished block to every rank). Two steps of latency, 2(n-1)/n of the data:
// medium messages inside one load/store domain. Each block is reduced and finalized by one rank
// only, then copied, so every rank gets the same bits.
//
// The blocks go in pieces (the chunk size, else kPieceBytes; every block is cut into the same
// number of pieces, so sender and receiver agree on each piece). A rank sends its peers' pieces
// one piece ahead of its own reduction, reduces piece p of its block from every peer and sends
// the finished piece on at once, while it is still in cache. Whole blocks would reduce into a
// block larger than the caches n-1 times and read it back for the all-gather: three to four
// times the memory traffic of a call beyond the cache.
//
// On every link the messages run RS0, RS1, AG0, RS2, AG1, ..., so a rank receives, in round p,
// reduce-scatter piece p and then all-gather piece p-1.
#include <algorithm>

#include "algorithms/emit.h"
#include "algorithms/registry.h"

namespace chorus::sched {
namespace {

// As one-shot's pieces: a piece and its partial result stay in a core's own cache between the
// reductions of consecutive peers.
constexpr Bytes kPieceBytes = 512 * 1024;
constexpr Count kMaxPieces = 1 << 20;

bool Applies(const CollArgs& a) { return a.coll == Collective::kAllReduce; }

void AllReduce(const CollArgs& a, Rank r, Range part, Emitter& e) {
  const int n = a.nranks;
  if (n == 1) {
    e.Copy(Block(Buffer::kInput, part, 1, 0), Block(Buffer::kOutput, part, 1, 0), /*finalize=*/true);
    return;
  }
  const Count chunk = ChunkElems(a);
  const Count piece = chunk > 0 ? chunk : std::max<Count>(1, kPieceBytes / std::max<Bytes>(1, a.elem_size));
  const Count largest = PartCount(part.count, n, 0);  // blocks differ by at most one element
  // At most kMaxPieces (larger pieces then): a tiny chunk on a huge call must not explode the program.
  const int pieces = static_cast<int>(std::clamp<Count>((largest + piece - 1) / piece, 1, kMaxPieces));
  // Piece p of block i, in buffer b.
  auto at = [&](Buffer b, Rank i, int p) {
    const Slice blk = Block(b, part, n, i);
    return Block(b, Range{blk.offset, blk.count}, pieces, p);
  };
  auto send_scatter = [&](int p) {
    for (int k = 1; k < n; ++k) {
      const Rank to = Mod(r + k, n);
      e.Send(to, at(Buffer::kInput, to, p));
    }
  };
  auto reduce = [&](int p) {
    const Slice mine = at(Buffer::kOutput, r, p);
    for (int k = 1; k < n; ++k) {
      const Rank from = Mod(static_cast<long long>(r) - k, n);
      e.RecvReduce(from, k == 1 ? at(Buffer::kInput, r, p) : mine, mine, k == n - 1);
    }
    for (int k = 1; k < n; ++k) e.Send(Mod(r + k, n), mine);
  };
  auto gather = [&](int p) {
    for (int k = 1; k < n; ++k) {
      const Rank from = Mod(static_cast<long long>(r) - k, n);
      e.Recv(from, at(Buffer::kOutput, from, p));
    }
  };
  send_scatter(0);
  for (int p = 0; p < pieces; ++p) {
    if (p + 1 < pieces) send_scatter(p + 1);
    reduce(p);
    if (p > 0) gather(p - 1);
  }
  gather(pieces - 1);
}

Status Generate(const CollArgs& a, Rank r, RankProgram* out) {
  auto channel = [&](Emitter& e, Range part, Count) {
    // The pieces are the chunks.
    Emitter whole = e.Unchunked();
    AllReduce(a, r, part, whole);
    return Count{0};
  };
  return GeneratePerChannel(a, r, out, "two_shot", Applies, channel);
}

}  // namespace

CHORUS_REGISTER_ALGORITHM(two_shot, "two_shot", Applies, Generate);

}  // namespace chorus::sched
