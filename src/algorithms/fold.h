// Folding a rank count that is not a power of two onto the largest power of two below it, for
// the recursive-doubling family: with n = p + rem (p a power of two, rem < p), ranks 2i and 2i+1
// for i < rem pair up: the even one ("extra") hands its data to the odd one and sits out; the
// p "active" ranks run the power-of-two algorithm, and the odd ones hand the result back.
// Active index i stands for ranks [FirstRank(i), FirstRank(i+1)): contiguous, so a contiguous
// range of active indices stands for a contiguous range of ranks.
#pragma once

#include "core/types.h"

namespace chorus::sched {

struct Fold {
  int n = 1;
  int p = 1;    // largest power of two <= n
  int rem = 0;  // n - p

  explicit Fold(int nranks) : n(nranks) {
    while (p * 2 <= n) p *= 2;
    rem = n - p;
  }
  int Steps() const {
    int s = 0;
    while ((1 << s) < p) ++s;
    return s;
  }
  // Even ranks below 2*rem hand their data to rank + 1.
  bool IsExtra(Rank r) const { return r < 2 * rem && r % 2 == 0; }
  // The active index of a non-extra rank.
  int Active(Rank r) const { return r < 2 * rem ? r / 2 : r - rem; }
  // The rank playing active index i.
  Rank ActiveRank(int i) const { return i < rem ? 2 * i + 1 : i + rem; }
  // First rank that active index i stands for (i may be p: returns n).
  Rank FirstRank(int i) const { return i < rem ? 2 * i : i + rem; }
};

}  // namespace chorus::sched
