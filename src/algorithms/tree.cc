#include "algorithms/tree.h"

namespace chorus::sched {
namespace {

// Position q in [0, m) of the in-order tree maps to rank root + 1 + (q + shift) % m.
Rank RankAt(int n, Rank root, int shift, int q) {
  int m = n - 1;
  return static_cast<Rank>((root + 1 + (q + shift) % m) % n);
}

}  // namespace

TreeNode TreeNodeOf(int n, Rank root, int which, Rank rank) {
  TreeNode t;
  if (n <= 1) return t;
  const int m = n - 1;
  const int shift = which == 0 ? 0 : 1 % m;
  const int v = ((rank - root) % n + n) % n;
  if (v == 0) {
    t.child[0] = RankAt(n, root, shift, m / 2);
    return t;
  }
  const int q = ((v - 1 - shift) % m + m) % m;
  // Descend from the top of [0, m) to q; the middle of each range is its subtree's root.
  int lo = 0, hi = m, parent = -1;
  for (;;) {
    int mid = lo + (hi - lo) / 2;
    if (mid == q) break;
    parent = mid;
    if (q < mid) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  t.parent = parent < 0 ? root : RankAt(n, root, shift, parent);
  int k = 0;
  if (lo < q) t.child[k++] = RankAt(n, root, shift, lo + (q - lo) / 2);
  if (q + 1 < hi) t.child[k++] = RankAt(n, root, shift, q + 1 + (hi - q - 1) / 2);
  return t;
}

int TreeDepth(int n) {
  int depth = 0;
  for (int size = n - 1; size > 0; size /= 2) ++depth;
  return depth;
}

}  // namespace chorus::sched
