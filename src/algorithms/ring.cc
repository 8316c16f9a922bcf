// Ring: ranks pass blocks to their right neighbour (r+1) and receive from their left (r-1).
//
// Reduce-scatter: n-1 steps; at step k rank r receives the partial sum of block (r-1-k) from the
// left, adds its own contribution and passes it on; the block a rank finishes at step n-1 is its
// own (block r), which it finalizes. All-gather: n-1 steps forwarding each finished block around
// the ring. All-reduce is the two back to back over n blocks of the output, and the last
// reduce-scatter step is fused with the first all-gather send (NCCL's pattern). Intermediate
// steps are fused recv-reduce-send / recv-copy-send, which the executor streams at its slot grain,
// so the ring is pipelined without chunking; chunk_bytes splits every block further.
//
// Bandwidth-optimal: each rank sends 2(n-1)/n of the data (all-reduce), with 2(n-1) latencies.
#include "algorithms/emit.h"
#include "algorithms/registry.h"

namespace chorus::sched {
namespace {

bool Applies(const CollArgs& a) {
  return a.coll == Collective::kAllReduce || a.coll == Collective::kAllGather ||
         a.coll == Collective::kReduceScatter;
}

// All-reduce of `part` (elements of both input and output) on one channel.
void AllReduce(const CollArgs& a, Rank r, Range part, Emitter& e) {
  const int n = a.nranks;
  if (n == 1) {
    e.Copy(In(part.offset, part.count), Out(part.offset, part.count), /*finalize=*/true);
    return;
  }
  const Rank right = Mod(r + 1, n), left = Mod(r - 1, n);
  auto block = [&](long long b) { return Part(part, n, Mod(b, n)); };
  // Reduce-scatter over the output: output block b accumulates the partial sum passing through.
  Range b0 = block(r - 1);
  e.Send(right, In(b0.offset, b0.count));
  for (int k = 1; k < n; ++k) {
    Range b = block(static_cast<long long>(r) - 1 - k);
    bool last = k == n - 1;  // block r: finished here, and it starts the all-gather
    e.RecvReduceSend(left, In(b.offset, b.count), Out(b.offset, b.count), right, last);
  }
  // All-gather: forward finished blocks; the last one received stays here.
  for (int k = 1; k < n; ++k) {
    Range b = block(static_cast<long long>(r) - k);
    if (k < n - 1) {
      e.RecvCopySend(left, Out(b.offset, b.count), right);
    } else {
      e.Recv(left, Out(b.offset, b.count));
    }
  }
}

// All-gather of channel part `part` of every rank's block (count elements per rank).
void AllGather(const CollArgs& a, Rank r, Range part, Emitter& e) {
  const int n = a.nranks;
  auto out_block = [&](long long b) {
    return Out(static_cast<Count>(Mod(b, n)) * a.count + part.offset, part.count);
  };
  if (n == 1) {
    if (!a.in_place) e.Copy(In(part.offset, part.count), out_block(r));
    return;
  }
  const Rank right = Mod(r + 1, n), left = Mod(r - 1, n);
  // Our block goes out first; the local copy runs while the neighbours start on it.
  e.Send(right, In(part.offset, part.count));
  if (!a.in_place) e.Copy(In(part.offset, part.count), out_block(r));
  for (int k = 1; k < n; ++k) {
    Slice dst = out_block(static_cast<long long>(r) - k);
    if (k < n - 1) {
      e.RecvCopySend(left, dst, right);
    } else {
      e.Recv(left, dst);
    }
  }
}

// Reduce-scatter of channel part `part` of every block; partial sums pass through two scratch
// slots (scratch_base, +part.count) used alternately, so that writing slot s never waits on the
// send of the partial it held before unless the right neighbour is a full step behind. Returns
// the scratch elements used (none on 1 or 2 ranks: no partial is forwarded).
Count ReduceScatter(const CollArgs& a, Rank r, Range part, Count scratch_base, Emitter& e) {
  const int n = a.nranks;
  auto in_block = [&](long long b) {
    return In(static_cast<Count>(Mod(b, n)) * a.count + part.offset, part.count);
  };
  Slice out = Out(part.offset, part.count);
  if (n == 1) {
    e.Copy(in_block(0), out, /*finalize=*/true);
    return 0;
  }
  const Rank right = Mod(r + 1, n), left = Mod(r - 1, n);
  e.Send(right, in_block(static_cast<long long>(r) - 1));
  for (int k = 1; k < n - 1; ++k) {
    Slice slot = Scratch(scratch_base + static_cast<Count>(k % 2) * part.count, part.count);
    e.RecvReduceSend(left, in_block(static_cast<long long>(r) - 1 - k), slot, right);
  }
  e.RecvReduce(left, in_block(r), out, /*finalize=*/true);
  return n > 2 ? 2 * part.count : 0;
}

Status Generate(const CollArgs& a, Rank rank, RankProgram* out) {
  auto channel = [&](Emitter& e, Range part, Count scratch) {
    switch (a.coll) {
      case Collective::kAllReduce: AllReduce(a, rank, part, e); return Count{0};
      case Collective::kAllGather: AllGather(a, rank, part, e); return Count{0};
      default: return ReduceScatter(a, rank, part, scratch, e);
    }
  };
  return GeneratePerChannel(a, rank, out, "ring", Applies, channel);
}

}  // namespace

CHORUS_REGISTER_ALGORITHM(ring, "ring", Applies, Generate);

}  // namespace chorus::sched
