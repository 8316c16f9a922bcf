// Double binary tree (NCCL-style): half of the data goes over tree 0, half over tree 1 (tree.h),
// each pipelined in chunks. All-reduce reduces each chunk up its tree and broadcasts it back
// down; the root's last reduction is fused with the first send down. Reduce is the upward half
// only (to args.root), broadcast the downward half only (from args.root).
//
// Latency grows with the tree depth (~log2 n) instead of n, and every rank is an inner node of at
// most one tree for most n, so per-rank traffic stays near a ring's: the algorithm of choice for
// small and medium messages at scale. Chunks keep the tree busy: a rank works on the upward pass
// of chunk i while chunk i - depth comes back down.
#include <algorithm>

#include "algorithms/emit.h"
#include "algorithms/registry.h"
#include "algorithms/tree.h"

namespace chorus::sched {
namespace {

// Default pipelining grain when args.chunk_bytes is 0: at least this many bytes, and at most 64
// chunks per tree.
constexpr Bytes kDefaultChunkBytes = 128 << 10;
constexpr Count kMaxDefaultChunks = 64;

bool Applies(const CollArgs& a) {
  return a.coll == Collective::kAllReduce || a.coll == Collective::kBroadcast ||
         a.coll == Collective::kReduce;
}

struct Plan {
  const CollArgs& a;
  Rank rank;
  Range half[2];
  Count chunk;  // elements per chunk
  Count slot;   // scratch elements per partial-sum slot (reduce)
  Count scratch_base;
  TreeNode node[2];

  Range ChunkOf(int t, Count i) const {
    Count off = i * chunk;
    if (off >= half[t].count) return {half[t].offset, 0};
    return {half[t].offset + off, std::min(chunk, half[t].count - off)};
  }
  Count Chunks(int t) const { return (half[t].count + chunk - 1) / chunk; }
  Slice Slot(int t, Count i, Count count) const {
    return Scratch(scratch_base + (static_cast<Count>(t) * 2 + i % 2) * slot, count);
  }
};

// Upward pass of chunk i on tree t: all-reduce accumulates in the output, reduce in scratch
// (non-root ranks of a reduce have no output).
void Up(const Plan& p, int t, Count i, Emitter& e) {
  Range c = p.ChunkOf(t, i);
  if (c.count == 0) return;
  const TreeNode& nd = p.node[t];
  const bool allreduce = p.a.coll == Collective::kAllReduce;
  Slice in = In(c.offset, c.count), out = Out(c.offset, c.count);
  if (nd.parent < 0) {  // root: one child
    if (nd.child[0] < 0) {
      e.Copy(in, out, /*finalize=*/true);
    } else if (allreduce) {
      e.RecvReduceSend(nd.child[0], in, out, nd.child[0], /*finalize=*/true);
    } else {
      e.RecvReduce(nd.child[0], in, out, /*finalize=*/true);
    }
    return;
  }
  Slice acc = allreduce ? out : p.Slot(t, i, c.count);
  switch (nd.nchildren()) {
    case 0: e.Send(nd.parent, in); break;
    case 1: e.RecvReduceSend(nd.child[0], in, acc, nd.parent); break;
    default:
      e.RecvReduce(nd.child[0], in, acc);
      e.RecvReduceSend(nd.child[1], acc, acc, nd.parent);
      break;
  }
}

// Downward pass of chunk i on tree t; for broadcast the root sends its input.
void Down(const Plan& p, int t, Count i, Emitter& e) {
  Range c = p.ChunkOf(t, i);
  if (c.count == 0) return;
  const TreeNode& nd = p.node[t];
  Slice out = Out(c.offset, c.count);
  if (nd.parent < 0) {
    if (p.a.coll == Collective::kBroadcast && nd.child[0] >= 0)
      e.Send(nd.child[0], In(c.offset, c.count));
    return;  // all-reduce: the root sent it down with its last reduction
  }
  switch (nd.nchildren()) {
    case 0: e.Recv(nd.parent, out); break;
    case 1: e.RecvCopySend(nd.parent, out, nd.child[0]); break;
    default:
      e.RecvCopySend(nd.parent, out, nd.child[0]);
      e.Send(nd.child[1], out);
      break;
  }
}

// Returns the scratch elements used.
Count Channel(const CollArgs& a, Rank r, Range part, Count scratch_base, Emitter& e) {
  const Rank root = a.coll == Collective::kAllReduce ? 0 : a.root;
  Plan p{a, r, {Part(part, 2, 0), Part(part, 2, 1)}, ChunkElems(a), 0, scratch_base, {}};
  if (p.chunk == 0) {
    Count biggest = p.half[0].count;
    p.chunk = std::max<Count>(kDefaultChunkBytes / a.elem_size,
                              (biggest + kMaxDefaultChunks - 1) / kMaxDefaultChunks);
    if (p.chunk == 0) p.chunk = 1;
  }
  p.slot = std::min(p.chunk, p.half[0].count);
  for (int t = 0; t < 2; ++t) p.node[t] = TreeNodeOf(a.nranks, root, t, r);
  const Count chunks = std::max(p.Chunks(0), p.Chunks(1));
  switch (a.coll) {
    case Collective::kBroadcast:
      for (Count i = 0; i < chunks; ++i)
        for (int t = 0; t < 2; ++t) Down(p, t, i, e);
      if (r == root && !a.in_place)
        e.Copy(In(part.offset, part.count), Out(part.offset, part.count));
      return 0;
    case Collective::kReduce: {
      for (Count i = 0; i < chunks; ++i)
        for (int t = 0; t < 2; ++t) Up(p, t, i, e);
      bool inner = r != root && (p.node[0].nchildren() > 0 || p.node[1].nchildren() > 0);
      return inner ? 4 * p.slot : 0;
    }
    default: {
      // Upward pass of chunk i, downward pass of chunk i - lag: same order on every rank, so
      // every message's sender and receiver meet it at the same point of their sequences.
      const Count lag = static_cast<Count>(TreeDepth(a.nranks));
      for (Count i = 0; i < chunks + lag; ++i) {
        if (i < chunks)
          for (int t = 0; t < 2; ++t) Up(p, t, i, e);
        if (i >= lag)
          for (int t = 0; t < 2; ++t) Down(p, t, i - lag, e);
      }
      return 0;
    }
  }
}

Status Generate(const CollArgs& a, Rank r, RankProgram* out) {
  auto channel = [&](Emitter& e, Range part, Count scratch) {
    Emitter own = e.Unchunked();  // Plan cuts the chunks
    return Channel(a, r, part, scratch, own);
  };
  return GeneratePerChannel(a, r, out, "double_tree", Applies, channel);
}

}  // namespace

CHORUS_REGISTER_ALGORITHM(double_tree, "double_tree", Applies, Generate);

}  // namespace chorus::sched
