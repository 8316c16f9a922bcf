#include "algorithms/verifier.h"

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <sstream>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "algorithms/symbolic.h"

namespace chorus::sched {

CollArgs ArgsForRank(const CollArgs& args, Rank rank) {
  CollArgs a = args;
  if (a.coll == Collective::kReduce) a.has_output = rank == a.root;
  return a;
}

namespace {

using symbolic::ElementMap;
using symbolic::Piece;
using symbolic::RankSet;
using symbolic::Value;

constexpr uint32_t kNil = ~0u;

bool IsReduction(Collective c) {
  return c == Collective::kAllReduce || c == Collective::kReduceScatter ||
         c == Collective::kReduce;
}

// What a step does with its operands.
struct Use {
  bool supported = true;
  bool reads_src = false, reads_dst = false, writes_dst = false;
  bool receives = false, sends = false, group = false;
  Rank send_to = -1;
};

Use UseOf(const Step& s) {
  Use u;
  switch (s.op) {
    case OpCode::kSend: u.reads_src = u.sends = true; u.send_to = s.peer; break;
    case OpCode::kRecv: u.writes_dst = u.receives = true; break;
    case OpCode::kRecvReduce: u.reads_src = u.writes_dst = u.receives = true; break;
    case OpCode::kRecvReduceSend:
      u.reads_src = u.writes_dst = u.receives = u.sends = true;
      u.send_to = s.send_peer;
      break;
    case OpCode::kRecvCopySend:
      u.writes_dst = u.receives = u.sends = true;
      u.send_to = s.send_peer;
      break;
    case OpCode::kCopy: u.reads_src = u.writes_dst = true; break;
    case OpCode::kLocalReduce: u.reads_src = u.reads_dst = u.writes_dst = true; break;
    case OpCode::kSwitchReduce: u.reads_src = u.writes_dst = u.group = true; break;
    default: u.supported = false; break;
  }
  return u;
}

Count StepCount(const Step& s) { return s.op == OpCode::kSend ? s.src.count : s.dst.count; }

const char* StorageName(int s) {
  static const char* kNames[] = {"input", "output", "scratch"};
  return kNames[s];
}

// Where a rank's logical buffers live: in-place calls map kInput (or, for reduce-scatter,
// kOutput) into the other buffer's storage.
struct Layout {
  Count logical[kNumBuffers] = {};  // elements addressable through each Buffer
  int storage[kNumBuffers] = {0, 1, 2};
  Count base[kNumBuffers] = {};
  Count storage_size[kNumBuffers] = {};
};

Layout MakeLayout(const CollArgs& a, Rank r, Count scratch) {
  Layout l;
  l.logical[0] = InputElems(a);
  l.logical[1] = a.has_output ? OutputElems(a) : 0;
  l.logical[2] = scratch;
  l.storage_size[0] = InputElems(a);
  l.storage_size[1] = OutputElems(a);
  l.storage_size[2] = scratch;
  if (a.in_place) {
    if (a.coll == Collective::kReduceScatter) {
      // The output is input block `rank`.
      l.storage[1] = 0;
      l.base[1] = a.count * static_cast<Count>(r);
      l.storage_size[1] = 0;
    } else {
      l.storage[0] = 1;
      l.base[0] = InPlaceInputOffset(a, r);
      l.storage_size[0] = 0;
    }
  }
  return l;
}

struct Region {
  int storage = 0;
  Count lo = 0, hi = 0;
};

struct Msg {
  Rank from = 0, to = 0;
  int ch = 0;
  size_t step = 0;
  Count count = 0;
  std::vector<Piece> vals;
  Region region;           // the sender's memory it still reads
  uint32_t unit = kNil;    // the sending unit
  uint32_t next = kNil;    // FIFO link
};

struct Fifo {
  uint32_t first = kNil, last = kNil;
};

enum class Wait { kNone, kMessage, kDrain, kSwitch };

struct Unit {
  Rank rank = 0;
  int ch = 0;
  size_t pc = 0;
  bool queued = false;
  Wait wait = Wait::kNone;
  uint32_t wait_msg = kNil;
  size_t switch_seq = 0;
  bool at_switch = false;
  // Sends posted and not yet received: (storage, first element, message).
  std::set<std::tuple<int, Count, uint32_t>> pending;
  Count max_pending_len = 0;
};

struct SwitchGroup {
  int arrived = 0;
  Count count = 0;
  std::vector<std::vector<Piece>> src;  // per rank
  std::vector<uint32_t> unit;           // per rank
};

class Verifier {
 public:
  Verifier(const std::vector<CollArgs>& rank_args, const std::vector<RankProgram>& progs)
      : rank_args_(rank_args), args_(rank_args.at(0)), progs_(progs), n_(args_.nranks) {}

  Status Run(VerifyStats* stats) {
    CHORUS_RETURN_IF_ERROR(CheckShape());
    CHORUS_RETURN_IF_ERROR(CheckSteps());
    CHORUS_RETURN_IF_ERROR(CheckChannelRaces());
    Setup();
    CHORUS_RETURN_IF_ERROR(Simulate());
    CHORUS_RETURN_IF_ERROR(CheckLeftovers());
    CHORUS_RETURN_IF_ERROR(CheckOutputs());
    if (stats) *stats = stats_;
    return Status::Ok();
  }

 private:
  std::string Where(Rank r, int ch, size_t i) const {
    std::ostringstream o;
    o << "rank " << r << " channel " << ch << " step " << i << " ("
      << ToString(progs_[r].channels[ch].steps[i]) << ")";
    return o.str();
  }
  Status Fail(Rank r, int ch, size_t i, const std::string& what) const {
    return InternalError("schedule: " + Where(r, ch, i) + ": " + what);
  }
  Region Phys(Rank r, const Slice& s) const {
    const Layout& l = layout_[r];
    int b = static_cast<int>(s.buffer);
    return {l.storage[b], l.base[b] + s.offset, l.base[b] + s.offset + s.count};
  }

  Status CheckShape() {
    if (n_ < 1) return InvalidArgument("schedule: nranks must be >= 1");
    if (progs_.size() != static_cast<size_t>(n_) || rank_args_.size() != static_cast<size_t>(n_))
      return InternalError("schedule: expected one program and one set of arguments per rank");
    for (const CollArgs& a : rank_args_) {
      if (a.coll != args_.coll || a.nranks != n_ || a.count != args_.count || a.root != args_.root)
        return InvalidArgument("schedule: ranks disagree on the collective, nranks, count or root");
    }
    for (Rank r = 0; r < n_; ++r) {
      if (progs_[r].rank != r || progs_[r].nranks != n_)
        return InternalError("schedule: program " + std::to_string(r) +
                             " is for another rank or rank count");
      layout_.push_back(MakeLayout(rank_args_[r], r, progs_[r].scratch_elems));
    }
    return Status::Ok();
  }

  bool InBounds(Rank r, const Slice& s) const {
    int b = static_cast<int>(s.buffer);
    if (b < 0 || b >= kNumBuffers) return false;
    Count size = layout_[r].logical[b];
    return s.offset <= size && s.count <= size - s.offset;
  }

  Status CheckSteps() {
    for (Rank r = 0; r < n_; ++r) {
      const CollArgs& a = rank_args_[r];
      for (size_t c = 0; c < progs_[r].channels.size(); ++c) {
        const auto& steps = progs_[r].channels[c].steps;
        for (size_t i = 0; i < steps.size(); ++i) {
          const Step& s = steps[i];
          int ch = static_cast<int>(c);
          Use u = UseOf(s);
          if (!u.supported) return Fail(r, ch, i, "operation not modelled by the verifier");
          Count count = StepCount(s);
          if (u.reads_src && u.writes_dst && s.src.count != s.dst.count)
            return Fail(r, ch, i, "src and dst counts differ");
          if (count == 0) continue;
          if (u.receives && (s.peer < 0 || s.peer >= n_ || s.peer == r))
            return Fail(r, ch, i, "invalid receive peer");
          if (u.sends && (u.send_to < 0 || u.send_to >= n_ || u.send_to == r))
            return Fail(r, ch, i, "invalid send peer");
          for (int k = 0; k < 2; ++k) {
            bool used = k == 0 ? u.reads_src : u.writes_dst;
            const Slice& sl = k == 0 ? s.src : s.dst;
            if (!used) continue;
            if (sl.buffer == Buffer::kOutput && !a.has_output)
              return Fail(r, ch, i, "touches the output of a rank that has none");
            if (!InBounds(r, sl)) return Fail(r, ch, i, "slice out of bounds");
          }
          if (u.writes_dst && s.dst.buffer == Buffer::kInput)
            return Fail(r, ch, i, "writes the input buffer");
          if (s.finalize && (!u.writes_dst || !IsReduction(a.coll)))
            return Fail(r, ch, i, "finalize on a step or collective without a reduction result");
          if (u.reads_src && u.writes_dst) {
            Region x = Phys(r, s.src), y = Phys(r, s.dst);
            bool overlap = x.storage == y.storage && x.lo < y.hi && y.lo < x.hi;
            if (overlap && x.lo != y.lo)
              return Fail(r, ch, i, "src and dst partially overlap");
          }
        }
      }
    }
    return Status::Ok();
  }

  // Channels of a rank run concurrently: two of them touching the same memory, one writing, race.
  Status CheckChannelRaces() {
    using Set = std::map<std::pair<int, Count>, Count>;  // (storage, lo) -> hi, disjoint
    auto add = [](Set& set, Region g) {
      if (g.lo >= g.hi) return;
      auto it = set.lower_bound({g.storage, g.lo});
      if (it != set.begin()) {
        auto p = std::prev(it);
        if (p->first.first == g.storage && p->second >= g.lo) it = p;
      }
      while (it != set.end() && it->first.first == g.storage && it->first.second <= g.hi) {
        g.lo = std::min(g.lo, it->first.second);
        g.hi = std::max(g.hi, it->second);
        it = set.erase(it);
      }
      set.emplace(std::make_pair(g.storage, g.lo), g.hi);
    };
    auto overlap = [](const Set& x, const Set& y, Region* at) {
      auto i = x.begin();
      auto j = y.begin();
      while (i != x.end() && j != y.end()) {
        if (i->first.first != j->first.first) {
          if (i->first.first < j->first.first) ++i; else ++j;
          continue;
        }
        Count lo = std::max(i->first.second, j->first.second);
        Count hi = std::min(i->second, j->second);
        if (lo < hi) {
          *at = {i->first.first, lo, hi};
          return true;
        }
        if (i->second < j->second) ++i; else ++j;
      }
      return false;
    };
    for (Rank r = 0; r < n_; ++r) {
      const auto& chans = progs_[r].channels;
      if (chans.size() < 2) continue;
      std::vector<Set> reads(chans.size()), writes(chans.size());
      for (size_t c = 0; c < chans.size(); ++c) {
        for (const Step& s : chans[c].steps) {
          if (StepCount(s) == 0) continue;
          Use u = UseOf(s);
          if (u.reads_src) add(reads[c], Phys(r, s.src));
          if (u.reads_dst || (u.sends && s.op != OpCode::kSend)) add(reads[c], Phys(r, s.dst));
          if (u.writes_dst) add(writes[c], Phys(r, s.dst));
        }
      }
      for (size_t x = 0; x < chans.size(); ++x) {
        for (size_t y = 0; y < chans.size(); ++y) {
          if (x == y) continue;
          Region at;
          if (overlap(writes[x], writes[y], &at) || overlap(writes[x], reads[y], &at)) {
            size_t i = 0;
            const auto& steps = chans[x].steps;
            for (; i < steps.size(); ++i) {
              const Step& s = steps[i];
              Region g = Phys(r, s.dst);
              if (StepCount(s) > 0 && UseOf(s).writes_dst && g.storage == at.storage &&
                  g.lo < at.hi && at.lo < g.hi)
                break;
            }
            std::ostringstream o;
            o << "channel " << y << " also accesses " << StorageName(at.storage) << " memory ["
              << at.lo << ", " << at.hi << ") that this step writes (channels run concurrently)";
            return Fail(r, static_cast<int>(x), std::min(i, steps.size() - 1), o.str());
          }
        }
      }
    }
    return Status::Ok();
  }

  void Setup() {
    first_unit_.resize(n_);
    mem_.resize(static_cast<size_t>(n_) * kNumBuffers);
    for (Rank r = 0; r < n_; ++r) {
      first_unit_[r] = static_cast<uint32_t>(units_.size());
      max_ch_ = std::max(max_ch_, progs_[r].channels.size());
      for (size_t c = 0; c < progs_[r].channels.size(); ++c) {
        Unit u;
        u.rank = r;
        u.ch = static_cast<int>(c);
        units_.push_back(std::move(u));
      }
      const Layout& l = layout_[r];
      for (int s = 0; s < kNumBuffers; ++s) Mem(r, s).Reset(l.storage_size[s]);
      Count in = l.logical[0];
      if (in > 0) {
        Value v;
        v.init = true;
        v.pos = 0;
        v.set = RankSet::Single(r);
        v.tree = symbolic::LeafTree(r);
        Mem(r, l.storage[0]).Write(l.base[0], {Piece{in, v}});
      }
    }
    if (max_ch_ == 0) max_ch_ = 1;
  }

  ElementMap& Mem(Rank r, int storage) { return mem_[static_cast<size_t>(r) * kNumBuffers + storage]; }
  uint32_t UnitOf(Rank r, int ch) const {
    if (static_cast<size_t>(ch) >= progs_[r].channels.size()) return kNil;
    return first_unit_[r] + static_cast<uint32_t>(ch);
  }
  uint64_t QueueKey(Rank from, Rank to, int ch) const {
    return (static_cast<uint64_t>(from) * static_cast<uint64_t>(n_) + static_cast<uint64_t>(to)) *
               max_ch_ + static_cast<uint64_t>(ch);
  }
  void Wake(uint32_t u) {
    if (u == kNil || units_[u].queued) return;
    units_[u].queued = true;
    ready_.push_back(u);
  }

  uint32_t NewMsg() {
    if (!free_.empty()) {
      uint32_t id = free_.back();
      free_.pop_back();
      return id;
    }
    msgs_.emplace_back();
    return static_cast<uint32_t>(msgs_.size() - 1);
  }

  void Post(uint32_t ui, size_t step, Rank to, std::vector<Piece> vals, Count count, Region reg) {
    Unit& u = units_[ui];
    uint32_t id = NewMsg();
    Msg& m = msgs_[id];
    m.from = u.rank;
    m.to = to;
    m.ch = u.ch;
    m.step = step;
    m.count = count;
    m.vals = std::move(vals);
    m.region = reg;
    m.unit = ui;
    m.next = kNil;
    auto& q = queues_[QueueKey(u.rank, to, u.ch)];
    if (q.first == kNil) {
      q.first = q.last = id;
    } else {
      msgs_[q.last].next = id;
      q.last = id;
    }
    u.pending.emplace(reg.storage, reg.lo, id);
    u.max_pending_len = std::max(u.max_pending_len, reg.hi - reg.lo);
    Wake(UnitOf(to, u.ch));
  }

  // The receiver has taken message `id`: the sender's memory is free again.
  void Drain(uint32_t id) {
    Msg& m = msgs_[id];
    Unit& u = units_[m.unit];
    u.pending.erase({m.region.storage, m.region.lo, id});
    if (u.wait == Wait::kDrain && u.wait_msg == id) Wake(m.unit);
    m.vals.clear();
    free_.push_back(id);
  }

  // A pending send of unit u whose source overlaps g, or kNil.
  uint32_t Hazard(const Unit& u, const Region& g) const {
    if (u.pending.empty()) return kNil;
    Count from = g.lo > u.max_pending_len ? g.lo - u.max_pending_len : 0;
    for (auto it = u.pending.lower_bound({g.storage, from, 0});
         it != u.pending.end() && std::get<0>(*it) == g.storage && std::get<1>(*it) < g.hi; ++it) {
      uint32_t id = std::get<2>(*it);
      if (msgs_[id].region.hi > g.lo) return id;
    }
    return kNil;
  }

  Status ReadInit(Rank r, const Slice& sl, std::vector<Piece>* out, std::string* err) {
    Region g = Phys(r, sl);
    *out = Mem(r, g.storage).Read(g.lo, g.hi - g.lo);
    Count at = sl.offset;
    for (const Piece& p : *out) {
      if (!p.v.init) {
        std::ostringstream o;
        o << "reads uninitialised " << StorageName(static_cast<int>(sl.buffer)) << " elements ["
          << at << ", " << at + p.len << ")";
        *err = o.str();
        return InternalError(*err);
      }
      at += p.len;
    }
    return Status::Ok();
  }

  // Elementwise a (op) b: same source element, disjoint contributions, neither final.
  bool Combine(const std::vector<Piece>& a, const std::vector<Piece>& b, std::vector<Piece>* out,
               std::string* err) const {
    out->clear();
    size_t i = 0, j = 0;
    Count ia = 0, jb = 0, at = 0;  // consumed within a[i], b[j]; element offset in the slice
    while (i < a.size() && j < b.size()) {
      Count len = std::min(a[i].len - ia, b[j].len - jb);
      const Value& x = a[i].v;
      const Value& y = b[j].v;
      Count px = x.pos + ia, py = y.pos + jb;
      std::ostringstream o;
      if (px != py) {
        o << "reduces element " << px << " with element " << py << " (at offset " << at << ")";
      } else if (x.fin || y.fin) {
        o << "reduces an already finalized value (" << symbolic::ToString(x.fin ? x : y) << ")";
      } else if (x.set.Intersects(y.set)) {
        o << "reduces contributions twice: " << x.set.ToString() << " and " << y.set.ToString()
          << " of element " << px;
      }
      if (!o.str().empty()) {
        *err = o.str();
        return false;
      }
      Value v;
      v.init = true;
      v.pos = px;
      v.set = x.set.Union(y.set);
      v.tree = symbolic::CombineTree(x.tree, y.tree);
      if (!out->empty() && symbolic::Continues(out->back(), Piece{len, v})) {
        out->back().len += len;
      } else {
        out->push_back(Piece{len, std::move(v)});
      }
      ia += len;
      jb += len;
      at += len;
      if (ia == a[i].len) ++i, ia = 0;
      if (jb == b[j].len) ++j, jb = 0;
    }
    return true;
  }

  bool Finalize(std::vector<Piece>* vals, std::string* err) const {
    for (Piece& p : *vals) {
      if (p.v.fin) {
        *err = "finalizes a value twice (" + symbolic::ToString(p.v) + ")";
        return false;
      }
      if (!p.v.set.IsRange(0, n_)) {
        *err = "finalizes a partial value (" + symbolic::ToString(p.v) + ")";
        return false;
      }
      p.v.fin = true;
      p.v.tree = symbolic::FinalTree(p.v.tree);
    }
    return true;
  }

  Status RunUnit(uint32_t ui) {
    Unit& u = units_[ui];
    const Rank r = u.rank;
    const auto& steps = progs_[r].channels[u.ch].steps;
    std::string err;
    while (u.pc < steps.size()) {
      const size_t i = u.pc;
      const Step& s = steps[i];
      const Count count = StepCount(s);
      if (count == 0) {
        ++u.pc;
        continue;
      }
      if (u.at_switch) {
        u.wait = Wait::kSwitch;
        return Status::Ok();
      }
      const Use use = UseOf(s);
      if (use.writes_dst) {
        uint32_t m = Hazard(u, Phys(r, s.dst));
        if (m != kNil) {
          u.wait = Wait::kDrain;
          u.wait_msg = m;
          return Status::Ok();
        }
      }
      uint32_t in_id = kNil;
      if (use.receives) {
        auto q = queues_.find(QueueKey(s.peer, r, u.ch));
        if (q == queues_.end() || q->second.first == kNil) {
          u.wait = Wait::kMessage;
          return Status::Ok();
        }
        in_id = q->second.first;
        const Msg& m = msgs_[in_id];
        if (m.count != count) {
          std::ostringstream o;
          o << "receives " << count << " elements but the matching send (" << Where(m.from, m.ch, m.step)
            << ") has " << m.count;
          return Fail(r, u.ch, i, o.str());
        }
        q->second.first = m.next;
        if (m.next == kNil) queues_.erase(q);
      }
      u.wait = Wait::kNone;
      std::vector<Piece> src, old, result;
      if (use.reads_src && !ReadInit(r, s.src, &src, &err).ok()) return Fail(r, u.ch, i, err);
      if (use.reads_dst && !ReadInit(r, s.dst, &old, &err).ok()) return Fail(r, u.ch, i, err);
      if (use.group) {
        CHORUS_RETURN_IF_ERROR(ArriveSwitch(ui, i, std::move(src)));
        if (units_[ui].at_switch) {
          units_[ui].wait = Wait::kSwitch;
          return Status::Ok();
        }
        continue;  // the group completed and advanced this unit
      }
      std::vector<Piece> incoming;
      if (in_id != kNil) {
        incoming = std::move(msgs_[in_id].vals);
        Drain(in_id);
        ++stats_.messages;
      }
      switch (s.op) {
        case OpCode::kSend: break;
        case OpCode::kRecv:
        case OpCode::kRecvCopySend: result = std::move(incoming); break;
        case OpCode::kRecvReduce:
        case OpCode::kRecvReduceSend:
          if (!Combine(src, incoming, &result, &err)) return Fail(r, u.ch, i, err);
          break;
        case OpCode::kCopy: result = src; break;
        case OpCode::kLocalReduce:
          if (!Combine(src, old, &result, &err)) return Fail(r, u.ch, i, err);
          break;
        default: return Fail(r, u.ch, i, "operation not modelled by the verifier");
      }
      if (s.finalize && !Finalize(&result, &err)) return Fail(r, u.ch, i, err);
      if (use.writes_dst) {
        Region g = Phys(r, s.dst);
        Mem(r, g.storage).Write(g.lo, result);
      }
      if (use.sends) {
        bool plain = s.op == OpCode::kSend;
        Post(ui, i, use.send_to, plain ? std::move(src) : std::move(result), count,
             Phys(r, plain ? s.src : s.dst));
      }
      ++stats_.steps;
      ++units_[ui].pc;
    }
    return Status::Ok();
  }

  // kSwitchReduce: every rank's k-th switch step on a channel is one reduction over all ranks'
  // src (in rank order, so every rank gets the same bits), written to every rank's dst.
  Status ArriveSwitch(uint32_t ui, size_t i, std::vector<Piece> src) {
    Unit& u = units_[ui];
    const Step& s = progs_[u.rank].channels[u.ch].steps[i];
    SwitchGroup& g = switch_[{u.ch, u.switch_seq}];
    if (g.src.empty()) {
      g.src.resize(n_);
      g.unit.assign(n_, kNil);
      g.count = s.dst.count;
    }
    if (g.count != s.dst.count) {
      std::ostringstream o;
      o << "switch reduction of " << s.dst.count << " elements; other ranks reduce " << g.count;
      return Fail(u.rank, u.ch, i, o.str());
    }
    g.src[u.rank] = std::move(src);
    g.unit[u.rank] = ui;
    u.at_switch = true;
    if (++g.arrived < n_) return Status::Ok();
    std::vector<Piece> acc = g.src[0], next;
    std::string err;
    for (Rank r = 1; r < n_; ++r) {
      if (!Combine(acc, g.src[r], &next, &err)) return Fail(r, units_[g.unit[r]].ch,
                                                              units_[g.unit[r]].pc, err);
      acc.swap(next);
    }
    for (Rank r = 0; r < n_; ++r) {
      Unit& v = units_[g.unit[r]];
      const Step& vs = progs_[r].channels[v.ch].steps[v.pc];
      std::vector<Piece> res = acc;
      if (vs.finalize && !Finalize(&res, &err)) return Fail(r, v.ch, v.pc, err);
      Region reg = Phys(r, vs.dst);
      Mem(r, reg.storage).Write(reg.lo, res);
      v.at_switch = false;
      v.wait = Wait::kNone;
      ++v.switch_seq;
      ++v.pc;
      ++stats_.steps;
      if (g.unit[r] != ui) Wake(g.unit[r]);
    }
    switch_.erase({u.ch, u.switch_seq - 1});
    return Status::Ok();
  }

  Status Simulate() {
    for (uint32_t i = 0; i < units_.size(); ++i) Wake(i);
    while (!ready_.empty()) {
      uint32_t ui = ready_.front();
      ready_.pop_front();
      units_[ui].queued = false;
      CHORUS_RETURN_IF_ERROR(RunUnit(ui));
    }
    std::ostringstream o;
    int shown = 0, stuck = 0;
    for (const Unit& u : units_) {
      const auto& steps = progs_[u.rank].channels[u.ch].steps;
      if (u.pc >= steps.size()) continue;
      ++stuck;
      if (shown == 4) continue;
      o << (shown++ ? "; " : "") << Where(u.rank, u.ch, u.pc);
      const Step& s = steps[u.pc];
      switch (u.wait) {
        case Wait::kMessage: o << " waits for a message from rank " << s.peer; break;
        case Wait::kDrain: {
          const Msg& m = msgs_[u.wait_msg];
          o << " waits to overwrite memory its send (step " << m.step << ", to rank " << m.to
            << ") still reads";
          break;
        }
        case Wait::kSwitch: o << " waits for the other ranks' switch reduction"; break;
        case Wait::kNone: o << " never ran"; break;
      }
    }
    if (stuck > 0) {
      return InternalError("schedule: deadlock (" + std::to_string(stuck) +
                           " channel(s) blocked): " + o.str());
    }
    return Status::Ok();
  }

  Status CheckLeftovers() {
    const Msg* first = nullptr;
    for (const auto& [key, q] : queues_) {
      (void)key;
      if (q.first == kNil) continue;
      const Msg& m = msgs_[q.first];
      if (!first || std::tie(m.from, m.ch, m.step) < std::tie(first->from, first->ch, first->step))
        first = &m;
    }
    if (first) {
      return Fail(first->from, first->ch, first->step,
                  "send to rank " + std::to_string(first->to) + " is never received");
    }
    return Status::Ok();
  }

  // What output element e of rank r must hold: source element, contributing ranks, final.
  struct Expect {
    Count pos;
    RankSet set;
    bool fin;
  };
  // Splits the output at the collective's block boundaries: [e, block_end) has one expectation.
  Expect Expected(Rank r, Count e, Count* block_end) const {
    const Count count = args_.count;
    switch (args_.coll) {
      case Collective::kAllReduce:
      case Collective::kReduce:
        *block_end = e + (~Count{0} - e);
        return {e, RankSet::Range(0, n_), true};
      case Collective::kReduceScatter:
        *block_end = count;
        return {static_cast<Count>(r) * count + e, RankSet::Range(0, n_), true};
      case Collective::kBroadcast:
        *block_end = e + (~Count{0} - e);
        return {e, RankSet::Single(args_.root), false};
      case Collective::kAllGather: {
        Count j = e / count;
        *block_end = (j + 1) * count;
        return {e - j * count, RankSet::Single(static_cast<int>(j)), false};
      }
      case Collective::kAllToAll: {
        Count j = e / count;
        *block_end = (j + 1) * count;
        return {static_cast<Count>(r) * count + (e - j * count),
                RankSet::Single(static_cast<int>(j)), false};
      }
      default: *block_end = e + (~Count{0} - e); return {e, RankSet(), false};
    }
  }

  std::vector<Piece> Output(Rank r) {
    const Layout& l = layout_[r];
    return Mem(r, l.storage[1]).Read(l.base[1], l.logical[1]);
  }

  Status CheckOutputs() {
    if (args_.coll == Collective::kSendRecv || args_.coll == Collective::kBarrier)
      return Status::Ok();
    std::vector<Piece> reference;
    bool have_reference = false;
    for (Rank r = 0; r < n_; ++r) {
      if (!rank_args_[r].has_output) continue;
      std::vector<Piece> out = Output(r);
      Count e = 0;
      for (const Piece& p : out) {
        Count done = 0;
        while (done < p.len) {
          Count block_end;
          Expect x = Expected(r, e, &block_end);
          Count len = std::min(p.len - done, block_end - e);
          const Value& v = p.v;
          bool ok = v.init && v.pos + done == x.pos && v.set == x.set && v.fin == x.fin;
          if (!ok) {
            Value want;
            want.init = true;
            want.pos = x.pos;
            want.set = x.set;
            want.fin = x.fin;
            Value got = v;
            got.pos += done;
            std::ostringstream o;
            o << "schedule: rank " << r << " output [" << e << ", " << e + len << ") holds "
              << symbolic::ToString(got) << "; expected " << symbolic::ToString(want);
            return InternalError(o.str());
          }
          done += len;
          e += len;
        }
      }
      // All-reduce: every rank must hold the same reduction tree, hence the same bits.
      if (args_.coll == Collective::kAllReduce) {
        if (!have_reference) {
          reference = std::move(out);
          have_reference = true;
        } else {
          CHORUS_RETURN_IF_ERROR(SameTrees(reference, out, r));
        }
      }
    }
    return Status::Ok();
  }

  Status SameTrees(const std::vector<Piece>& a, const std::vector<Piece>& b, Rank r) const {
    size_t i = 0, j = 0;
    Count ia = 0, jb = 0, e = 0;
    while (i < a.size() && j < b.size()) {
      Count len = std::min(a[i].len - ia, b[j].len - jb);
      if (a[i].v.tree != b[j].v.tree) {
        std::ostringstream o;
        o << "schedule: rank " << r << " output [" << e << ", " << e + len
          << ") was reduced in a different order than the first rank's (the bits may differ)";
        return InternalError(o.str());
      }
      ia += len;
      jb += len;
      e += len;
      if (ia == a[i].len) ++i, ia = 0;
      if (jb == b[j].len) ++j, jb = 0;
    }
    return Status::Ok();
  }

  const std::vector<CollArgs>& rank_args_;
  const CollArgs& args_;
  const std::vector<RankProgram>& progs_;
  const int n_;
  std::vector<Layout> layout_;
  std::vector<ElementMap> mem_;
  std::vector<Unit> units_;
  std::vector<uint32_t> first_unit_;
  size_t max_ch_ = 0;
  std::deque<uint32_t> ready_;
  std::vector<Msg> msgs_;
  std::vector<uint32_t> free_;
  std::unordered_map<uint64_t, Fifo> queues_;
  std::map<std::pair<int, size_t>, SwitchGroup> switch_;
  VerifyStats stats_;
};

}  // namespace

Status VerifySchedule(const std::vector<CollArgs>& rank_args,
                      const std::vector<RankProgram>& programs, VerifyStats* stats) {
  if (rank_args.empty()) return InvalidArgument("schedule: no ranks");
  Verifier v(rank_args, programs);
  return v.Run(stats);
}

Status VerifySchedule(const CollArgs& args, const std::vector<RankProgram>& programs,
                      VerifyStats* stats) {
  if (args.nranks < 1) return InvalidArgument("schedule: nranks must be >= 1");
  std::vector<CollArgs> rank_args;
  for (Rank r = 0; r < args.nranks; ++r) rank_args.push_back(ArgsForRank(args, r));
  return VerifySchedule(rank_args, programs, stats);
}

Status VerifyAlgorithm(const Algorithm& algorithm, const CollArgs& args, VerifyStats* stats) {
  if (args.nranks < 1) return InvalidArgument("verify: nranks must be >= 1");
  if (!algorithm.applies(args))
    return InvalidArgument(std::string("verify: ") + algorithm.name + " does not apply");
  std::vector<RankProgram> programs(static_cast<size_t>(args.nranks));
  for (Rank r = 0; r < args.nranks; ++r) {
    Status st = algorithm.generate(ArgsForRank(args, r), r, &programs[r]);
    if (!st.ok()) {
      return Status(st.code(), std::string(algorithm.name) + " rank " + std::to_string(r) +
                                   ": " + st.message());
    }
  }
  return VerifySchedule(args, programs, stats);
}

}  // namespace chorus::sched
