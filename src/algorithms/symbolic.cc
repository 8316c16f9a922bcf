#include "algorithms/symbolic.h"

#include <algorithm>
#include <sstream>

namespace chorus::sched::symbolic {

RankSet& RankSet::operator=(const RankSet& o) {
  if (this != &o) Assign(o.data(), o.n_);
  return *this;
}

void RankSet::Assign(const Span* s, uint32_t n) {
  if (n <= 2) {
    // s may point into heap_: copy before releasing it.
    Span tmp[2] = {};
    for (uint32_t i = 0; i < n; ++i) tmp[i] = s[i];
    heap_.reset();
    in_[0] = tmp[0];
    in_[1] = tmp[1];
  } else {
    std::unique_ptr<Span[]> h(new Span[n]);
    std::copy(s, s + n, h.get());
    heap_ = std::move(h);
  }
  n_ = n;
}

RankSet RankSet::Range(int lo, int hi) {
  RankSet s;
  if (hi > lo) {
    s.n_ = 1;
    s.in_[0] = {lo, hi};
  }
  return s;
}

bool RankSet::Intersects(const RankSet& o) const {
  const Span *a = data(), *b = o.data();
  uint32_t i = 0, j = 0;
  while (i < n_ && j < o.n_) {
    if (a[i].hi <= b[j].lo) {
      ++i;
    } else if (b[j].hi <= a[i].lo) {
      ++j;
    } else {
      return true;
    }
  }
  return false;
}

RankSet RankSet::Union(const RankSet& o) const {
  std::vector<Span> all;
  all.reserve(n_ + o.n_);
  const Span *a = data(), *b = o.data();
  uint32_t i = 0, j = 0;
  while (i < n_ || j < o.n_) {
    Span s = (j >= o.n_ || (i < n_ && a[i].lo <= b[j].lo)) ? a[i++] : b[j++];
    if (!all.empty() && s.lo <= all.back().hi) {
      all.back().hi = std::max(all.back().hi, s.hi);
    } else {
      all.push_back(s);
    }
  }
  RankSet r;
  r.Assign(all.data(), static_cast<uint32_t>(all.size()));
  return r;
}

bool RankSet::operator==(const RankSet& o) const {
  if (n_ != o.n_) return false;
  const Span *a = data(), *b = o.data();
  for (uint32_t i = 0; i < n_; ++i) {
    if (a[i].lo != b[i].lo || a[i].hi != b[i].hi) return false;
  }
  return true;
}

std::string RankSet::ToString() const {
  std::ostringstream o;
  o << "{";
  const Span* s = data();
  for (uint32_t i = 0; i < n_; ++i) {
    if (i) o << ",";
    o << s[i].lo;
    if (s[i].hi - s[i].lo > 1) o << "-" << s[i].hi - 1;
  }
  o << "}";
  return o.str();
}

namespace {
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
}  // namespace

uint64_t LeafTree(int rank) { return Mix(0x1eaf000000000000ull ^ static_cast<uint64_t>(rank)); }
uint64_t CombineTree(uint64_t a, uint64_t b) {
  if (a > b) std::swap(a, b);
  return Mix(Mix(a) ^ (b * 0x2545f4914f6cdd1dull) ^ 0xc0b1e00000000000ull);
}
uint64_t FinalTree(uint64_t t) { return Mix(t ^ 0xf17a100000000000ull); }

std::string ToString(const Value& v) {
  if (!v.init) return "uninitialised";
  std::ostringstream o;
  o << "element " << v.pos << " of ranks " << v.set.ToString() << (v.fin ? " (finalized)" : "");
  return o.str();
}

bool Continues(const Piece& a, const Piece& b) {
  if (a.v.init != b.v.init) return false;
  if (!a.v.init) return true;
  return a.v.fin == b.v.fin && a.v.tree == b.v.tree && a.v.pos + a.len == b.v.pos &&
         a.v.set == b.v.set;
}

void ElementMap::Reset(Count size) {
  runs_.clear();
  size_ = size;
  if (size > 0) runs_.emplace(0, Piece{size, Value{}});
}

std::vector<Piece> ElementMap::Read(Count off, Count len) const {
  std::vector<Piece> out;
  if (len == 0) return out;
  auto it = runs_.upper_bound(off);
  --it;
  Count end = off + len;
  for (; it != runs_.end() && it->first < end; ++it) {
    Count s = std::max(it->first, off);
    Count e = std::min(it->first + it->second.len, end);
    Piece p{e - s, it->second.v};
    if (p.v.init) p.v.pos += s - it->first;
    out.push_back(std::move(p));
  }
  return out;
}

void ElementMap::SplitAt(Count at) {
  if (at == 0 || at >= size_) return;
  auto it = runs_.upper_bound(at);
  --it;
  if (it->first == at) return;
  Piece& left = it->second;
  Count left_len = at - it->first;
  Piece right{left.len - left_len, left.v};
  if (right.v.init) right.v.pos += left_len;
  left.len = left_len;
  runs_.emplace(at, std::move(right));
}

void ElementMap::MergeAround(Count start) {
  auto it = runs_.find(start);
  if (it == runs_.end()) return;
  if (it != runs_.begin()) {
    auto prev = std::prev(it);
    if (Continues(prev->second, it->second)) {
      prev->second.len += it->second.len;
      runs_.erase(it);
      it = prev;
    }
  }
  auto next = std::next(it);
  if (next != runs_.end() && Continues(it->second, next->second)) {
    it->second.len += next->second.len;
    runs_.erase(next);
  }
}

void ElementMap::Write(Count off, const std::vector<Piece>& pieces) {
  Count len = 0;
  for (const auto& p : pieces) len += p.len;
  if (len == 0) return;
  SplitAt(off);
  SplitAt(off + len);
  runs_.erase(runs_.lower_bound(off), runs_.lower_bound(off + len));
  Count at = off;
  std::vector<Count> starts;
  for (const auto& p : pieces) {
    if (p.len == 0) continue;
    runs_.emplace(at, p);
    starts.push_back(at);
    at += p.len;
  }
  // Merge from the right so earlier keys stay valid.
  MergeAround(off + len < size_ ? off + len : off);
  for (auto s = starts.rbegin(); s != starts.rend(); ++s) MergeAround(*s);
}

}  // namespace chorus::sched::symbolic
