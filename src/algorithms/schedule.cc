#include "algorithms/schedule.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <sstream>
#include <vector>

namespace chorus::sched {

const char* Name(OpCode op) {
  switch (op) {
    case OpCode::kSend: return "send";
    case OpCode::kRecv: return "recv";
    case OpCode::kRecvReduce: return "recv-reduce";
    case OpCode::kRecvReduceSend: return "recv-reduce-send";
    case OpCode::kRecvCopySend: return "recv-copy-send";
    case OpCode::kCopy: return "copy";
    case OpCode::kLocalReduce: return "local-reduce";
    case OpCode::kPut: return "put";
    case OpCode::kGet: return "get";
    case OpCode::kSignal: return "signal";
    case OpCode::kWait: return "wait";
    case OpCode::kSwitchReduce: return "switch-reduce";
  }
  return "invalid";
}

Count InputElems(const CollArgs& a) {
  switch (a.coll) {
    case Collective::kReduceScatter:
    case Collective::kAllToAll: return a.count * static_cast<Count>(a.nranks);
    default: return a.count;
  }
}

Count OutputElems(const CollArgs& a) {
  switch (a.coll) {
    case Collective::kAllGather:
    case Collective::kAllToAll: return a.count * static_cast<Count>(a.nranks);
    default: return a.count;
  }
}

Count InPlaceInputOffset(const CollArgs& a, Rank rank) {
  // All-gather's in-place input is the rank's own block of the output.
  return a.coll == Collective::kAllGather ? a.count * static_cast<Count>(rank) : 0;
}

namespace {

// A slice as a range of the memory it touches. In place, input and output are one space: the
// input lies inside the output (all-gather: at the rank's block; others: at 0), except for
// reduce-scatter, whose output is the input's block `rank` (as the verifier lays them out).
struct Extent {
  int space;  // 0: input (out of place), 1: output (and, in place, input), 2: scratch
  Count lo, hi;
};

Extent ExtentOf(const CollArgs& a, Rank rank, const Slice& s) {
  if (a.in_place && s.buffer != Buffer::kScratch) {
    Count at = s.offset;
    if (a.coll == Collective::kReduceScatter) {
      if (s.buffer == Buffer::kOutput) at += a.count * static_cast<Count>(rank);
    } else if (s.buffer == Buffer::kInput) {
      at += InPlaceInputOffset(a, rank);
    }
    return {1, at, at + s.count};
  }
  return {static_cast<int>(s.buffer), s.offset, s.offset + s.count};
}

// The slices a step reads (fused steps read dst again to send it; a local reduce reads its dst).
int ReadsOf(const Step& s, Slice out[2]) {
  switch (s.op) {
    case OpCode::kSend: case OpCode::kPut: out[0] = s.src; return 1;
    case OpCode::kCopy: case OpCode::kRecvReduce: case OpCode::kGet: out[0] = s.src; return 1;
    case OpCode::kRecvReduceSend: out[0] = s.src; out[1] = s.dst; return 2;
    case OpCode::kRecvCopySend: out[0] = s.dst; return 1;
    case OpCode::kLocalReduce: case OpCode::kSwitchReduce: out[0] = s.src; out[1] = s.dst; return 2;
    default: return 0;
  }
}

// A union of half-open ranges, kept merged: lo -> hi.
class RangeSet {
 public:
  void Add(Count lo, Count hi) {
    if (lo >= hi) return;
    auto it = ranges_.upper_bound(lo);
    if (it != ranges_.begin() && std::prev(it)->second >= lo) --it;
    while (it != ranges_.end() && it->first <= hi) {
      lo = std::min(lo, it->first);
      hi = std::max(hi, it->second);
      it = ranges_.erase(it);
    }
    ranges_.emplace(lo, hi);
  }
  bool Overlaps(Count lo, Count hi) const {
    auto it = ranges_.lower_bound(hi);  // first range starting at or after hi: no overlap
    return it != ranges_.begin() && std::prev(it)->second > lo;
  }

 private:
  std::map<Count, Count> ranges_;
};

template <typename Fn>
void ForOutputReads(const CollArgs& args, Rank rank, const Step& s, Fn fn) {
  Slice r[2];
  const int n = ReadsOf(s, r);
  for (int k = 0; k < n; ++k) {
    const Extent e = ExtentOf(args, rank, r[k]);
    if (e.space == 1 && e.lo < e.hi) fn(e);
  }
}

}  // namespace

bool StreamsWhenLarge(const Step& step, bool operand_is_dst, ReduceOp op) {
  if (step.result_unread) return true;
  return step.op == OpCode::kRecvReduceSend && step.dst.buffer == Buffer::kOutput && !operand_is_dst &&
         !(step.finalize && op == ReduceOp::kAvg);
}

void MarkUnreadResults(const CollArgs& args, RankProgram* program) {
  auto& channels = program->channels;
  for (auto& ch : channels) {
    for (auto& s : ch.steps) s.result_unread = false;
  }
  if (!args.has_output) return;
  // Every channel's reads of the output (other channels run concurrently: any of their steps
  // counts), then each channel backwards with the reads of its later steps.
  std::vector<RangeSet> read_by(channels.size());
  for (size_t c = 0; c < channels.size(); ++c) {
    for (const Step& s : channels[c].steps) {
      ForOutputReads(args, program->rank, s, [&](const Extent& e) { read_by[c].Add(e.lo, e.hi); });
    }
  }
  for (size_t c = 0; c < channels.size(); ++c) {
    auto& steps = channels[c].steps;
    RangeSet later;
    for (size_t i = steps.size(); i-- > 0;) {
      Step& s = steps[i];
      const bool candidate = s.op == OpCode::kRecv || s.op == OpCode::kRecvReduce || s.op == OpCode::kCopy;
      // An avg's epilogue reads the result back at once.
      if (candidate && s.dst.count > 0 && s.dst.buffer == Buffer::kOutput && !(s.finalize && args.op == ReduceOp::kAvg)) {
        const Extent mine = ExtentOf(args, program->rank, s.dst);
        bool read = later.Overlaps(mine.lo, mine.hi);
        for (size_t o = 0; o < channels.size() && !read; ++o) {
          read = o != c && read_by[o].Overlaps(mine.lo, mine.hi);
        }
        s.result_unread = !read;
      }
      ForOutputReads(args, program->rank, s, [&](const Extent& e) { later.Add(e.lo, e.hi); });
    }
  }
}

namespace {
const char* BufferName(Buffer b) {
  switch (b) {
    case Buffer::kInput: return "in";
    case Buffer::kOutput: return "out";
    case Buffer::kScratch: return "scratch";
  }
  return "?";
}
std::string SliceString(const Slice& s) {
  std::ostringstream o;
  o << BufferName(s.buffer) << "[" << s.offset << "+" << s.count << "]";
  return o.str();
}
}  // namespace

std::string ToString(const Step& s) {
  std::ostringstream o;
  o << Name(s.op);
  if (s.peer >= 0) o << " peer=" << s.peer;
  if (s.send_peer >= 0) o << " ->" << s.send_peer;
  switch (s.op) {
    case OpCode::kSend: o << " " << SliceString(s.src); break;
    case OpCode::kRecv:
    case OpCode::kRecvCopySend: o << " " << SliceString(s.dst); break;
    default: o << " " << SliceString(s.src) << " -> " << SliceString(s.dst); break;
  }
  if (s.finalize) o << " final";
  return o.str();
}

std::string ToString(const RankProgram& p) {
  std::ostringstream o;
  o << "rank " << p.rank << "/" << p.nranks << " scratch=" << p.scratch_elems << "\n";
  for (size_t c = 0; c < p.channels.size(); ++c) {
    o << " channel " << c << ":\n";
    for (const auto& s : p.channels[c].steps) o << "  " << ToString(s) << "\n";
  }
  return o.str();
}

}  // namespace chorus::sched
