#include "tune/simulator.h"

#include <algorithm>
#include <deque>
#include <map>
#include <queue>
#include <string>
#include <unordered_map>

#include "algorithms/verifier.h"

namespace chorus::tune {
namespace {

using sched::OpCode;
using sched::Step;

constexpr uint32_t kNone = ~0u;
// A message crosses its link, its domain, two endpoints and at most this many shared links (the
// model lists the narrowest first).
constexpr int kMaxShared = 8;
constexpr int kMaxResources = 4 + kMaxShared;

// A link or a domain has a bandwidth (1 / beta). A transfer runs at the speed of its slowest
// resource and takes the matching fraction of each resource's bandwidth from its start to its
// end; it starts once every resource it crosses has that fraction free. Transfers are admitted
// in the order they become ready, which for bulk traffic gives the throughput of fair sharing at
// O(log n) per message.
struct Resource {
  double beta = 0;  // seconds per byte
  double load = 0;  // fraction of the bandwidth held by the admitted transfers below
  std::priority_queue<std::pair<double, double>, std::vector<std::pair<double, double>>,
                      std::greater<std::pair<double, double>>>
      held;  // (end, fraction)

  // Earliest time >= t at which `fraction` fits, releasing transfers that have ended by then.
  double Admit(double t, double fraction) {
    while (!held.empty() && held.top().first <= t) Release();
    double at = t;
    while (load + fraction > 1 + 1e-9 && !held.empty()) {
      at = std::max(at, held.top().first);
      Release();
    }
    return at;
  }
  void Release() {
    load = std::max(0.0, load - held.top().second);
    held.pop();
  }
};

struct Flow {
  double bytes = 0;
  double link_beta = 0;
  // link, domain, sender's and receiver's endpoints, shared links; -1: none
  int res[kMaxResources] = {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1};
  uint32_t receiver = kNone;   // unit blocked on this flow
  uint32_t feeder = kNone;     // flow whose data this one forwards
  double tail = 0;             // last piece after the feeder completes
  double not_before = 0;       // streaming reduction bound
  double extra = 0;            // after completion (last piece's reduction)
  // Store and forward (LinkModel::store_and_forward): the message the fused step sends on once
  // this flow has completed (forward_to == -1: none).
  Rank forward_to = -1;
  int forward_ch = 0;
  double forward_bytes = 0;
  bool exhausted = false, finished = false;
  double exhausted_at = 0, finished_at = 0;
  std::vector<uint32_t> dependents;
};

struct Msg {
  double ready = 0;
  double bytes = 0;
  uint32_t feeder = kNone;
  double tail = 0;
};

enum class State { kRun, kWaitMsg, kWaitFlow, kWaitSwitch };

struct Unit {
  Rank rank = 0;
  int ch = 0;
  size_t pc = 0;
  double t = 0;
  State state = State::kRun;
};

enum class EvKind { kUnit, kFlowReady, kFlowDone };

struct Event {
  double t;
  uint64_t seq;
  EvKind kind;
  uint32_t id;
  uint32_t version;
  bool operator>(const Event& o) const { return t != o.t ? t > o.t : seq > o.seq; }
};

class Sim {
 public:
  Sim(const sched::CollArgs& a, const std::vector<sched::RankProgram>& p, const LinkModel& m)
      : args_(a), progs_(p), m_(m), n_(a.nranks) {}

  Status Run(SimResult* out) {
    if (progs_.size() != static_cast<size_t>(n_))
      return InvalidArgument("simulate: expected one program per rank");
    if (!m_.link) return InvalidArgument("simulate: the link model has no link function");
    for (Rank r = 0; r < n_; ++r) {
      first_unit_.push_back(static_cast<uint32_t>(units_.size()));
      max_ch_ = std::max(max_ch_, progs_[r].channels.size());
      for (size_t c = 0; c < progs_[r].channels.size(); ++c) {
        Unit u;
        u.rank = r;
        u.ch = static_cast<int>(c);
        units_.push_back(u);
      }
    }
    for (uint32_t u = 0; u < units_.size(); ++u) Push(0, EvKind::kUnit, u);
    while (!events_.empty()) {
      Event e = events_.top();
      events_.pop();
      now_ = e.t;
      switch (e.kind) {
        case EvKind::kUnit: {
          Unit& u = units_[e.id];
          if (u.state == State::kWaitFlow || u.state == State::kWaitSwitch) break;
          u.t = std::max(u.t, e.t);
          CHORUS_RETURN_IF_ERROR(RunUnit(e.id));
          break;
        }
        case EvKind::kFlowReady: Reserve(e.id); break;
        case EvKind::kFlowDone: Exhaust(e.id); break;
      }
    }
    double end = 0;
    for (const Unit& u : units_) {
      if (u.pc < progs_[u.rank].channels[u.ch].steps.size())
        return InternalError("simulate: the schedule does not complete (rank " +
                             std::to_string(u.rank) + " channel " + std::to_string(u.ch) + ")");
      end = std::max(end, u.t);
    }
    for (const Flow& f : flows_) end = std::max(end, f.finished_at);
    out->seconds = end;
    out->messages = flows_.size();
    out->bytes_sent = bytes_sent_;
    return Status::Ok();
  }

 private:
  void Push(double t, EvKind kind, uint32_t id, uint32_t version = 0) {
    events_.push(Event{t, seq_++, kind, id, version});
  }
  uint32_t UnitOf(Rank r, int ch) const {
    if (static_cast<size_t>(ch) >= progs_[r].channels.size()) return kNone;
    return first_unit_[r] + static_cast<uint32_t>(ch);
  }
  uint64_t QueueKey(Rank from, Rank to, int ch) const {
    return (static_cast<uint64_t>(from) * static_cast<uint64_t>(n_) + static_cast<uint64_t>(to)) *
               max_ch_ + static_cast<uint64_t>(ch);
  }

  int LinkResource(Rank from, Rank to, double beta) {
    uint64_t key = static_cast<uint64_t>(from) * static_cast<uint64_t>(n_) + static_cast<uint64_t>(to);
    auto it = link_res_.find(key);
    if (it != link_res_.end()) return it->second;
    int id = static_cast<int>(res_.size());
    res_.emplace_back();
    res_.back().beta = beta;
    link_res_.emplace(key, id);
    return id;
  }
  int EndpointResource(Rank r) {
    if (m_.endpoint_beta_s_per_byte <= 0) return -1;
    if (endpoint_res_.empty()) endpoint_res_.assign(static_cast<size_t>(n_), -1);
    if (endpoint_res_[r] < 0) {
      endpoint_res_[r] = static_cast<int>(res_.size());
      res_.emplace_back();
      res_.back().beta = m_.endpoint_beta_s_per_byte;
    }
    return endpoint_res_[r];
  }
  int DomainResource(Rank from, Rank to) {
    if (!m_.domain || m_.domain_beta_s_per_byte <= 0) return -1;
    int d = m_.domain(from);
    if (d < 0 || d != m_.domain(to)) return -1;
    auto it = domain_res_.find(d);
    if (it != domain_res_.end()) return it->second;
    int id = static_cast<int>(res_.size());
    res_.emplace_back();
    res_.back().beta = m_.domain_beta_s_per_byte;
    domain_res_.emplace(d, id);
    return id;
  }

  int SharedResource(int index) {
    if (index < 0 || static_cast<size_t>(index) >= m_.shared_beta_s_per_byte.size() ||
        !(m_.shared_beta_s_per_byte[static_cast<size_t>(index)] > 0)) {
      return -1;
    }
    if (shared_res_.empty()) shared_res_.assign(m_.shared_beta_s_per_byte.size(), -1);
    int& id = shared_res_[static_cast<size_t>(index)];
    if (id < 0) {
      id = static_cast<int>(res_.size());
      res_.emplace_back();
      res_.back().beta = m_.shared_beta_s_per_byte[static_cast<size_t>(index)];
    }
    return id;
  }
  // A switch reduction streams through every rank's port and, when the model says, the switch's
  // aggregate bandwidth: ports are per rank (a rank's channels share its port), the aggregate is
  // shared by all.
  int SwitchPortResource(Rank r) {
    if (switch_port_res_.empty()) switch_port_res_.assign(static_cast<size_t>(n_), -1);
    int& id = switch_port_res_[static_cast<size_t>(r)];
    if (id < 0) {
      id = static_cast<int>(res_.size());
      res_.emplace_back();
      res_.back().beta = m_.switch_beta_s_per_byte;
    }
    return id;
  }
  // When the reduction of `bytes` per rank by every rank, ready at `t`, completes.
  double SwitchReduce(const std::vector<uint32_t>& members, double t, double bytes) {
    std::vector<int> used;
    if (m_.switch_beta_s_per_byte > 0) {
      for (uint32_t v : members) used.push_back(SwitchPortResource(units_[v].rank));
    }
    if (m_.switch_aggregate_beta_s_per_byte > 0) {
      if (switch_aggregate_res_ < 0) {
        switch_aggregate_res_ = static_cast<int>(res_.size());
        res_.emplace_back();
        // Per byte of one rank's share: every member moves its bytes through the switch.
        res_.back().beta = m_.switch_aggregate_beta_s_per_byte * static_cast<double>(n_);
      }
      used.push_back(switch_aggregate_res_);
    }
    double per_byte = 0;
    for (int r : used) per_byte = std::max(per_byte, res_[static_cast<size_t>(r)].beta);
    if (!(per_byte > 0)) return t + m_.switch_alpha_s;
    double start = t;
    for (int r : used) start = std::max(start, res_[static_cast<size_t>(r)].Admit(t, res_[static_cast<size_t>(r)].beta / per_byte));
    const double end = start + bytes * per_byte;
    for (int r : used) {
      const double fraction = res_[static_cast<size_t>(r)].beta / per_byte;
      res_[static_cast<size_t>(r)].load += fraction;
      res_[static_cast<size_t>(r)].held.emplace(end, fraction);
    }
    return end + m_.switch_alpha_s;
  }

  void Reserve(uint32_t id) {
    Flow& f = flows_[id];
    double per_byte = f.link_beta;
    for (int r : f.res)
      if (r >= 0) per_byte = std::max(per_byte, res_[r].beta);
    double start = now_;
    if (per_byte > 0) {
      for (int r : f.res)
        if (r >= 0) start = std::max(start, res_[r].Admit(now_, res_[r].beta / per_byte));
    }
    double end = start + f.bytes * per_byte;
    if (per_byte > 0) {
      for (int r : f.res) {
        if (r < 0) continue;
        double fraction = res_[r].beta / per_byte;
        res_[r].load += fraction;
        res_[r].held.emplace(end, fraction);
      }
    }
    Push(end, EvKind::kFlowDone, id);
  }

  void Exhaust(uint32_t id) {
    Flow& g = flows_[id];
    g.exhausted = true;
    g.exhausted_at = now_;
    if (g.feeder != kNone && !flows_[g.feeder].finished) {
      flows_[g.feeder].dependents.push_back(id);  // finishes when its feeder does
      return;
    }
    double at = std::max(now_, g.not_before);
    if (g.feeder != kNone) at = std::max(at, flows_[g.feeder].finished_at + g.tail);
    Finish(id, at);
  }

  void Finish(uint32_t id, double at) {
    Flow& f = flows_[id];
    f.finished = true;
    f.finished_at = at;
    if (f.receiver != kNone) {
      Unit& u = units_[f.receiver];
      u.t = at + f.extra;
      u.state = State::kRun;
      ++u.pc;
      Push(u.t, EvKind::kUnit, f.receiver);
      if (f.forward_to >= 0) {
        Post(u.rank, f.forward_to, f.forward_ch,
             Msg{u.t + Latency(u.rank, f.forward_to, f.forward_bytes), f.forward_bytes, kNone, 0});
      }
    }
    std::vector<uint32_t> deps = std::move(flows_[id].dependents);
    for (uint32_t d : deps) {
      Flow& g = flows_[d];
      Finish(d, std::max({g.exhausted_at, g.not_before, at + g.tail}));
    }
  }

  void Post(Rank from, Rank to, int ch, Msg m) {
    bytes_sent_ += m.bytes;
    queues_[QueueKey(from, to, ch)].push_back(m);
    uint32_t r = UnitOf(to, ch);
    if (r != kNone && units_[r].state == State::kWaitMsg) {
      units_[r].state = State::kRun;
      Push(std::max(now_, units_[r].t), EvKind::kUnit, r);
    }
  }

  // Whether `src`, a reduction's own operand, is in cache at step `pc`: one of the few steps
  // before sent the same slice (the send read it just now) or wrote it (one-shot's running
  // result on 3+ ranks), or it is scratch (written by this rank before it is reduced).
  static bool Warm(const std::vector<Step>& steps, size_t pc, const sched::Slice& src) {
    if (src.buffer == sched::Buffer::kScratch) return true;
    auto same = [&](const sched::Slice& x) {
      return x.buffer == src.buffer && x.offset == src.offset && x.count == src.count;
    };
    constexpr size_t kLookBack = 16;
    for (size_t i = pc; i > 0 && pc - i < kLookBack; --i) {
      const Step& t = steps[i - 1];
      if (t.op == OpCode::kSend ? same(t.src) : same(t.dst)) return true;
    }
    return false;
  }

  // From a send to the moment its receiver can start on it (LinkModel::latency_s and
  // core_wait_share).
  double Latency(Rank from, Rank to, double bytes) const {
    if (!(m_.core_wait_share > 0)) return m_.latency_s;
    return m_.latency_s + m_.core_wait_share * bytes * m_.link(from, to).beta_s_per_byte;
  }

  bool Reduces(OpCode op) const {
    return op == OpCode::kRecvReduce || op == OpCode::kRecvReduceSend;
  }

  Status RunUnit(uint32_t ui) {
    Unit& u = units_[ui];
    const auto& steps = progs_[u.rank].channels[u.ch].steps;
    const double esz = static_cast<double>(args_.elem_size);
    while (u.pc < steps.size()) {
      const Step& s = steps[u.pc];
      const Count count = s.op == OpCode::kSend ? s.src.count : s.dst.count;
      const double bytes = static_cast<double>(count) * esz;
      if (count == 0) {
        ++u.pc;
        continue;
      }
      switch (s.op) {
        case OpCode::kSend:
          Post(u.rank, s.peer, u.ch, Msg{u.t + Latency(u.rank, s.peer, bytes), bytes, kNone, 0});
          ++u.pc;
          break;
        case OpCode::kCopy:
          u.t += bytes * m_.copy_s_per_byte / (s.result_unread && m_.stream_speedup > 0 ? m_.stream_speedup : 1);
          ++u.pc;
          break;
        case OpCode::kLocalReduce:
          u.t += bytes * m_.gamma_s_per_byte;
          ++u.pc;
          break;
        case OpCode::kRecv:
        case OpCode::kRecvReduce:
        case OpCode::kRecvReduceSend:
        case OpCode::kRecvCopySend: {
          auto q = queues_.find(QueueKey(s.peer, u.rank, u.ch));
          if (q == queues_.end() || q->second.empty()) {
            u.state = State::kWaitMsg;
            return Status::Ok();
          }
          Msg m = q->second.front();
          q->second.pop_front();
          LinkCost in = m_.link(s.peer, u.rank);
          double start = std::max(u.t, m.ready) + in.alpha_s;
          uint32_t id = static_cast<uint32_t>(flows_.size());
          Flow f;
          // Forwarded by a fused step as it was received: its bytes are still in cache.
          f.bytes = m.feeder != kNone ? m.bytes / m_.forward_speedup : m.bytes;
          // Written around the caches beyond the cache (sched::StreamsWhenLarge): no
          // read-for-ownership of the destination. Every call is priced out of place (Choose):
          // the operand is never the destination.
          if (sched::StreamsWhenLarge(s, /*operand_is_dst=*/false, args_.op) && m_.stream_speedup > 0) f.bytes /= m_.stream_speedup;
          f.link_beta = in.beta_s_per_byte;
          f.res[0] = LinkResource(s.peer, u.rank, in.beta_s_per_byte);
          f.res[1] = DomainResource(s.peer, u.rank);
          f.res[2] = EndpointResource(s.peer);
          f.res[3] = EndpointResource(u.rank);
          if (m_.shared) {
            if (const std::vector<int>* shared = m_.shared(s.peer, u.rank)) {
              int k = 4;
              for (int index : *shared) {
                if (k == kMaxResources) break;
                int r = SharedResource(index);
                if (r >= 0) f.res[k++] = r;
              }
            }
          }
          f.receiver = ui;
          f.feeder = m.feeder;
          f.tail = m.tail;
          const double piece = std::min(m.bytes, m_.pipeline_bytes);
          if (Reduces(s.op)) {
            const double cold = m_.cold_read_s_per_byte > 0 && !Warm(steps, u.pc, s.src) ? m_.cold_read_s_per_byte : 0;
            f.not_before = start + m.bytes * (m_.gamma_s_per_byte + cold);
            f.extra = piece * m_.gamma_s_per_byte;
          }
          flows_.push_back(std::move(f));
          Push(start, EvKind::kFlowReady, id);
          u.state = State::kWaitFlow;
          if (s.op == OpCode::kRecvReduceSend || s.op == OpCode::kRecvCopySend) {
            if (m_.store_and_forward) {  // Finish() posts it
              flows_[id].forward_to = s.send_peer;
              flows_[id].forward_ch = u.ch;
              flows_[id].forward_bytes = bytes;
            } else {
              LinkCost out = m_.link(u.rank, s.send_peer);
              double ready = start + piece * in.beta_s_per_byte + flows_[id].extra;
              Post(u.rank, s.send_peer, u.ch,
                   Msg{ready + Latency(u.rank, s.send_peer, bytes), bytes, id, piece * out.beta_s_per_byte});
            }
          }
          return Status::Ok();  // Finish() advances the unit
        }
        case OpCode::kSwitchReduce: {
          auto& g = switch_[{u.ch, switch_seq_[ui]++}];
          g.first = std::max(g.first, u.t);
          g.second.push_back(ui);
          u.state = State::kWaitSwitch;
          if (static_cast<int>(g.second.size()) == n_) {
            double done = SwitchReduce(g.second, g.first, bytes);
            for (uint32_t v : g.second) {
              units_[v].t = done;
              units_[v].state = State::kRun;
              ++units_[v].pc;
              Push(done, EvKind::kUnit, v);
            }
          }
          return Status::Ok();
        }
        default:
          return InvalidArgument(std::string("simulate: operation not modelled: ") +
                                 sched::Name(s.op));
      }
    }
    return Status::Ok();
  }

  const sched::CollArgs& args_;
  const std::vector<sched::RankProgram>& progs_;
  const LinkModel& m_;
  const int n_;
  double now_ = 0;
  double bytes_sent_ = 0;
  uint64_t seq_ = 0;
  size_t max_ch_ = 1;
  std::vector<Unit> units_;
  std::vector<uint32_t> first_unit_;
  std::vector<Flow> flows_;
  std::vector<Resource> res_;
  std::unordered_map<uint64_t, int> link_res_;
  std::unordered_map<int, int> domain_res_;
  std::vector<int> endpoint_res_;
  std::vector<int> shared_res_;
  std::vector<int> switch_port_res_;
  int switch_aggregate_res_ = -1;
  std::unordered_map<uint64_t, std::deque<Msg>> queues_;
  std::map<std::pair<int, size_t>, std::pair<double, std::vector<uint32_t>>> switch_;
  std::unordered_map<uint32_t, size_t> switch_seq_;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events_;
};

}  // namespace

Status Simulate(const sched::CollArgs& args, const std::vector<sched::RankProgram>& programs,
                const LinkModel& model, SimResult* out) {
  Sim sim(args, programs, model);
  return sim.Run(out);
}

Status EstimateAlgorithm(const sched::Algorithm& algorithm, const sched::CollArgs& args,
                         const LinkModel& model, SimResult* out) {
  if (!algorithm.applies(args))
    return InvalidArgument(std::string("estimate: ") + algorithm.name + " does not apply");
  std::vector<sched::RankProgram> programs(static_cast<size_t>(args.nranks));
  for (Rank r = 0; r < args.nranks; ++r) {
    CHORUS_RETURN_IF_ERROR(algorithm.generate(sched::ArgsForRank(args, r), r, &programs[r]));
    sched::MarkUnreadResults(sched::ArgsForRank(args, r), &programs[r]);
  }
  return Simulate(args, programs, model, out);
}

}  // namespace chorus::tune
