// The symbolic values the verifier moves around: what a run of elements holds, as data.
//
// A value says which source element it derives from (`pos`: the index in the contributors' input
// buffers), which ranks' contributions it combines (`set`), whether the op's epilogue has been
// applied (`fin`), and the shape of the reduction tree that produced it (`tree`, a hash that is
// commutative at each node, so two ranks that add the same operands in the same grouping get the
// same tree, and hence the same bits, and ranks that group them differently do not).
//
// A buffer is an interval map from element ranges to values; a run of elements whose positions
// increase by one and which share set, fin and tree is one entry, so a million-element buffer
// moved in blocks costs a handful of entries.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/types.h"

namespace chorus::sched::symbolic {

// A set of ranks held as sorted, disjoint, non-adjacent [lo, hi) ranges. Two ranges are stored
// inline: the algorithms' partial sums are contiguous (or cyclically contiguous) rank ranges.
class RankSet {
 public:
  struct Span {
    int32_t lo, hi;
  };
  RankSet() = default;
  RankSet(const RankSet& o) { *this = o; }
  RankSet& operator=(const RankSet& o);
  RankSet(RankSet&& o) noexcept { *this = std::move(o); }
  RankSet& operator=(RankSet&& o) noexcept {
    n_ = o.n_;
    in_[0] = o.in_[0];
    in_[1] = o.in_[1];
    heap_ = std::move(o.heap_);
    o.n_ = 0;
    return *this;
  }

  static RankSet Single(int r) { return Range(r, r + 1); }
  static RankSet Range(int lo, int hi);

  uint32_t spans() const { return n_; }
  const Span* data() const { return n_ <= 2 ? in_ : heap_.get(); }
  bool Intersects(const RankSet& o) const;
  RankSet Union(const RankSet& o) const;
  bool IsRange(int lo, int hi) const { return n_ == 1 && data()[0].lo == lo && data()[0].hi == hi; }
  bool operator==(const RankSet& o) const;
  std::string ToString() const;  // "{0-3,5}"

 private:
  void Assign(const Span* s, uint32_t n);
  uint32_t n_ = 0;
  Span in_[2] = {};
  std::unique_ptr<Span[]> heap_;
};

struct Value {
  bool init = false;  // false: never written (uninitialised scratch/output)
  bool fin = false;
  Count pos = 0;      // source element of the run's first element
  uint64_t tree = 0;
  RankSet set;
};

uint64_t LeafTree(int rank);
uint64_t CombineTree(uint64_t a, uint64_t b);  // commutative
uint64_t FinalTree(uint64_t t);

struct Piece {
  Count len = 0;
  Value v;
};
std::string ToString(const Value& v);

// One buffer of one rank.
class ElementMap {
 public:
  void Reset(Count size);  // every element uninitialised
  Count size() const { return size_; }
  // The values of [off, off + len), split into maximal runs; the range must be inside.
  std::vector<Piece> Read(Count off, Count len) const;
  // Replaces [off, off + sum of lens) with `pieces`.
  void Write(Count off, const std::vector<Piece>& pieces);
  const std::map<Count, Piece>& runs() const { return runs_; }

 private:
  void SplitAt(Count at);
  void MergeAround(Count start);
  std::map<Count, Piece> runs_;  // key: first element
  Count size_ = 0;
};

// Piece `b` continues piece `a` (so they can be one run).
bool Continues(const Piece& a, const Piece& b);

}  // namespace chorus::sched::symbolic
