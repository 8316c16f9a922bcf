// Pipelined chain: broadcast flows root -> root+1 -> ... -> root+n-1, reduce flows back toward the
// root. Intermediate ranks use fused recv-copy-send / recv-reduce-send, which the executor streams
// at its slot grain, so a long message is pipelined along the chain (n-2+k steps of 1/k of the
// data for k chunks): bandwidth approaches one link's, latency grows with n.
//
// Reduce: non-root ranks have no output, so partial sums live in scratch. With chunking, two
// chunk-sized slots are used alternately (a slot is rewritten only once the previous rank in the
// chain has received what it held); without chunking the scratch holds the whole part.
#include "algorithms/emit.h"
#include "algorithms/registry.h"

namespace chorus::sched {
namespace {

bool Applies(const CollArgs& a) {
  return a.coll == Collective::kBroadcast || a.coll == Collective::kReduce;
}

void Broadcast(const CollArgs& a, int pos, Range part, Emitter& e) {
  const int n = a.nranks;
  const Rank next = Mod(a.root + pos + 1, n), prev = Mod(a.root + pos - 1, n);
  Slice in = In(part.offset, part.count), out = Out(part.offset, part.count);
  if (pos == 0) {
    if (n > 1) e.Send(next, in);
    if (!a.in_place) e.Copy(in, out);
  } else if (pos < n - 1) {
    e.RecvCopySend(prev, out, next);
  } else {
    e.Recv(prev, out);
  }
}

// Returns the scratch elements used.
Count Reduce(const CollArgs& a, int pos, Range part, Count scratch_base, Count chunk, Emitter& e) {
  const int n = a.nranks;
  // Toward the root is pos-1, away from it pos+1.
  const Rank toward = Mod(a.root + pos - 1, n), away = Mod(a.root + pos + 1, n);
  Slice in = In(part.offset, part.count);
  if (pos == 0) {
    Slice out = Out(part.offset, part.count);
    if (n == 1) {
      e.Copy(in, out, /*finalize=*/true);
    } else {
      e.RecvReduce(away, in, out, /*finalize=*/true);
    }
    return 0;
  }
  if (pos == n - 1) {
    e.Send(toward, in);
    return 0;
  }
  Count chunks = e.Chunks(part.count);
  if (chunks <= 2) {
    e.RecvReduceSend(away, in, Scratch(scratch_base, part.count), toward);
    return part.count;
  }
  // One step per chunk, alternating between two chunk-sized slots.
  for (Count i = 0; i < chunks; ++i) {
    Count off = e.ChunkOffset(i), cnt = e.ChunkCount(part.count, i);
    Slice slot = Scratch(scratch_base + (i % 2) * chunk, cnt);
    e.RecvReduceSend(away, In(part.offset + off, cnt), slot, toward);
  }
  return 2 * chunk;
}

Status Generate(const CollArgs& a, Rank r, RankProgram* out) {
  auto channel = [&](Emitter& e, Range part, Count scratch) {
    const int pos = Mod(static_cast<long long>(r) - a.root, a.nranks);
    if (a.coll == Collective::kBroadcast) {
      Broadcast(a, pos, part, e);
      return Count{0};
    }
    return Reduce(a, pos, part, scratch, ChunkElems(a), e);
  };
  return GeneratePerChannel(a, r, out, "chain", Applies, channel);
}

}  // namespace

CHORUS_REGISTER_ALGORITHM(chain, "chain", Applies, Generate);

}  // namespace chorus::sched
