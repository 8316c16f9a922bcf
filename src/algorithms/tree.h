// Binary trees over ranks for the tree generators. A tree is rooted at a given rank, which has a
// single child: the root of a balanced in-order binary tree over the other n-1 ranks (taken in
// order root+1, root+2, ...). Tree 1 shifts that order by one, so that (for most n) the ranks that
// are inner nodes of one tree are leaves of the other: with half of the data on each tree, every
// rank sends and receives about as much as in a ring (NCCL's double binary tree).
#pragma once

#include "core/types.h"

namespace chorus::sched {

struct TreeNode {
  Rank parent = -1;
  Rank child[2] = {-1, -1};  // child[0] is set whenever the node has any child
  int nchildren() const { return (child[0] >= 0) + (child[1] >= 0); }
};

// Node of `rank` in tree `which` (0 or 1) over n ranks rooted at `root`.
TreeNode TreeNodeOf(int n, Rank root, int which, Rank rank);

// Levels below the root (the longest root-to-leaf path, in edges).
int TreeDepth(int n);

}  // namespace chorus::sched
