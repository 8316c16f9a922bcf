// Hierarchical all-reduce for ranks spread over hosts (args.ranks_per_node consecutive ranks per
// host): a ring reduce-scatter inside each host (local rank l ends with block l summed over its
// host), a ring all-reduce of block l among the ranks with local rank l on every host (the only
// traffic between hosts: 1/ranks_per_node of the data per rank), and a ring all-gather inside
// each host. Time ~ T_RS,intra(n) + T_AR,inter(n/ppn) + T_AG,intra(n).
#include <vector>

#include "algorithms/emit.h"
#include "algorithms/registry.h"

namespace chorus::sched {
namespace {

bool Applies(const CollArgs& a) {
  return a.coll == Collective::kAllReduce && a.ranks_per_node > 1 &&
         a.nranks % a.ranks_per_node == 0 && a.nranks / a.ranks_per_node > 1;
}

// A ring over `members`, this rank being members[me].
struct Ring {
  std::vector<Rank> members;
  int me;
  int size() const { return static_cast<int>(members.size()); }
  Rank right() const { return members[Mod(me + 1, size())]; }
  Rank left() const { return members[Mod(me - 1, size())]; }
};

// Reduce-scatter over ring members of `r` split into size() blocks: own contributions from
// `src`, partial sums accumulate in `acc` (same offsets); member i ends with block i in acc.
void RingReduceScatter(const Ring& g, Range r, Buffer src, Buffer acc, bool finalize, Emitter& e) {
  const int n = g.size();
  auto at = [&](Buffer b, long long i) { return Block(b, r, n, Mod(i, n)); };
  e.Send(g.right(), at(src, g.me - 1));
  for (int k = 1; k < n; ++k) {
    long long b = static_cast<long long>(g.me) - 1 - k;
    if (k < n - 1) {
      e.RecvReduceSend(g.left(), at(src, b), at(acc, b), g.right());
    } else {
      e.RecvReduce(g.left(), at(src, b), at(acc, b), finalize);
    }
  }
}

// All-gather of the size() blocks of `r` in the output: member i starts with block i.
void RingAllGather(const Ring& g, Range r, Emitter& e) {
  const int n = g.size();
  auto at = [&](long long i) { return Block(Buffer::kOutput, r, n, Mod(i, n)); };
  e.Send(g.right(), at(g.me));
  for (int k = 1; k < n; ++k) {
    if (k < n - 1) {
      e.RecvCopySend(g.left(), at(static_cast<long long>(g.me) - k), g.right());
    } else {
      e.Recv(g.left(), at(static_cast<long long>(g.me) - k));
    }
  }
}

void AllReduce(const CollArgs& a, Rank r, Range part, Emitter& e) {
  const int ppn = a.ranks_per_node, nodes = a.nranks / ppn;
  const int node = r / ppn, local = r % ppn;
  Ring host{{}, local}, peers{{}, node};
  for (int l = 0; l < ppn; ++l) host.members.push_back(node * ppn + l);
  for (int h = 0; h < nodes; ++h) peers.members.push_back(h * ppn + local);
  RingReduceScatter(host, part, Buffer::kInput, Buffer::kOutput, false, e);
  Range mine = Part(part, ppn, local);
  // Ring all-reduce of block `local` among the hosts, in the output.
  RingReduceScatter(peers, mine, Buffer::kOutput, Buffer::kOutput, true, e);
  RingAllGather(peers, mine, e);
  RingAllGather(host, part, e);
}

Status Generate(const CollArgs& a, Rank r, RankProgram* out) {
  auto channel = [&](Emitter& e, Range part, Count) {
    AllReduce(a, r, part, e);
    return Count{0};
  };
  return GeneratePerChannel(a, r, out, "hierarchical", Applies, channel,
                            "needs all-reduce and ranks_per_node > 1 dividing nranks");
}

}  // namespace

CHORUS_REGISTER_ALGORITHM(hierarchical, "hierarchical", Applies, Generate);

}  // namespace chorus::sched
