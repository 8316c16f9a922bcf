// Bruck's algorithms: ceil(log2 n) steps for any n, for small messages at scale.
//
// All-gather: in step s (d = 2^s) rank r sends the min(d, n-d) blocks it holds, starting with its
// own (blocks r, r+1, ...), to rank r-d and receives blocks r+d, ... from rank r+d. Blocks are
// kept at their final place in the output, so no final rotation is needed.
//
// All-to-all: the blocks are rotated into scratch (T[j] = the block for rank r+j); in step s
// every T[j] whose index has bit s set goes to rank r+2^s, packed into one message, and the
// received ones are unpacked into the same places. After the last step T[j] holds the block
// from rank r-j, copied into the output. (log2 n)/2 of the data per step instead of pairwise's
// n-1 messages: wins for small blocks.
#include <algorithm>

#include "algorithms/emit.h"
#include "algorithms/registry.h"

namespace chorus::sched {
namespace {

bool Applies(const CollArgs& a) {
  return a.coll == Collective::kAllGather || a.coll == Collective::kAllToAll;
}

// Calls fn(slice) for output blocks first, first+1, ..., first+m-1 (mod n) of channel part
// `part`: whole contiguous runs with one channel, else block by block.
template <typename Fn>
void ForBlocks(const CollArgs& a, Range part, long long first, int m, Fn fn) {
  const int n = a.nranks;
  int done = 0;
  while (done < m) {
    Rank b = Mod(first + done, n);
    int run = a.channels == 1 ? std::min(m - done, n - b) : 1;
    fn(Out(static_cast<Count>(b) * a.count + part.offset, static_cast<Count>(run) * part.count));
    done += run;
  }
}

void AllGather(const CollArgs& a, Rank r, Range part, Emitter& e) {
  const int n = a.nranks;
  if (!a.in_place)
    e.Copy(In(part.offset, part.count),
           Out(static_cast<Count>(r) * a.count + part.offset, part.count));
  for (int d = 1; d < n; d *= 2) {
    int m = std::min(d, n - d);
    Rank to = Mod(static_cast<long long>(r) - d, n), from = Mod(r + d, n);
    ForBlocks(a, part, r, m, [&](Slice s) { e.Send(to, s); });
    ForBlocks(a, part, static_cast<long long>(r) + d, m, [&](Slice s) { e.Recv(from, s); });
  }
}

// Returns the scratch elements used.
Count AllToAll(const CollArgs& a, Rank r, Range part, Count base, Emitter& e) {
  const int n = a.nranks;
  const Count cnt = part.count;
  auto in_block = [&](Rank b) { return In(static_cast<Count>(b) * a.count + part.offset, cnt); };
  auto out_block = [&](Rank b) { return Out(static_cast<Count>(b) * a.count + part.offset, cnt); };
  if (n == 1) {
    if (!a.in_place) e.Copy(in_block(0), out_block(0));
    return 0;
  }
  int most = 0;  // the largest number of blocks sent in one step
  for (int d = 1; d < n; d *= 2) {
    int m = 0;
    for (int j = 0; j < n; ++j) m += (j & d) != 0;
    most = std::max(most, m);
  }
  const Count pack = base + static_cast<Count>(n) * cnt;
  const Count unpack = pack + static_cast<Count>(most) * cnt;
  auto t = [&](int j, int blocks) {
    return Scratch(base + static_cast<Count>(j) * cnt, static_cast<Count>(blocks) * cnt);
  };
  // Rotate: T[j] = block for rank r+j.
  for (int j = 0; j < n; ++j) e.Copy(in_block(Mod(r + j, n)), t(j, 1));
  for (int d = 1; d < n; d *= 2) {
    // Indices with bit d set come in runs of d: [d, 2d), [3d, 4d), ...
    Count packed = 0;
    for (int lo = d; lo < n; lo += 2 * d) {
      int len = std::min(d, n - lo);
      e.Copy(t(lo, len), Scratch(pack + packed, static_cast<Count>(len) * cnt));
      packed += static_cast<Count>(len) * cnt;
    }
    e.Send(Mod(r + d, n), Scratch(pack, packed));
    e.Recv(Mod(static_cast<long long>(r) - d, n), Scratch(unpack, packed));
    Count at = 0;
    for (int lo = d; lo < n; lo += 2 * d) {
      int len = std::min(d, n - lo);
      e.Copy(Scratch(unpack + at, static_cast<Count>(len) * cnt), t(lo, len));
      at += static_cast<Count>(len) * cnt;
    }
  }
  for (int j = 0; j < n; ++j) e.Copy(t(j, 1), out_block(Mod(static_cast<long long>(r) - j, n)));
  return static_cast<Count>(n + 2 * most) * cnt;
}

Status Generate(const CollArgs& a, Rank r, RankProgram* out) {
  auto channel = [&](Emitter& e, Range part, Count scratch) {
    if (a.coll == Collective::kAllToAll) return AllToAll(a, r, part, scratch, e);
    AllGather(a, r, part, e);
    return Count{0};
  };
  return GeneratePerChannel(a, r, out, "bruck", Applies, channel);
}

}  // namespace

CHORUS_REGISTER_ALGORITHM(bruck, "bruck", Applies, Generate);

}  // namespace chorus::sched
