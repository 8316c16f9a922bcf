#include "topology/link_costs.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <sstream>
#include <unordered_map>

#include "topology/number.h"
#include "topology/path.h"

namespace chorus::topo {

namespace {
constexpr const char* kLevelNames[kNumLinkLevels] = {"device", "switch", "pcie", "smp", "network"};

LinkLevel LevelOf(const PathInfo& p) {
  if (p.Crosses(LinkType::kNetwork)) return LinkLevel::kNetwork;
  if (p.Crosses(LinkType::kSmp) || p.Crosses(LinkType::kMemory)) return LinkLevel::kSmp;
  if (p.Crosses(LinkType::kPcie)) return LinkLevel::kPcie;
  return LinkLevel::kSwitchDomain;
}

int Find(std::vector<int>& parent, int x) {
  while (parent[static_cast<size_t>(x)] != x) {
    parent[static_cast<size_t>(x)] = parent[static_cast<size_t>(parent[static_cast<size_t>(x)])];
    x = parent[static_cast<size_t>(x)];
  }
  return x;
}

// Groups ranks by a key per rank; groups ordered by their smallest rank.
template <typename Key>
std::vector<std::vector<Rank>> GroupBy(const std::vector<Key>& key_of_rank) {
  std::vector<std::vector<Rank>> groups;
  std::map<Key, size_t> index;
  for (Rank r = 0; r < static_cast<Rank>(key_of_rank.size()); ++r) {
    auto [it, fresh] = index.emplace(key_of_rank[static_cast<size_t>(r)], groups.size());
    if (fresh) groups.emplace_back();
    groups[it->second].push_back(r);
  }
  return groups;
}
}  // namespace

const char* Name(LinkLevel l) {
  int i = static_cast<int>(l);
  return i >= 0 && i < kNumLinkLevels ? kLevelNames[i] : "invalid";
}

Status LinkCosts::Compute(const Graph& g, const std::vector<NodeId>& rank_node, const LinkCostOptions& o,
                          LinkCosts* out) {
  if (rank_node.empty()) return InvalidArgument("link costs: no ranks");
  for (int t = 0; t < kNumLinkTypes; ++t) {
    if (!(o.efficiency[t] > 0 && o.efficiency[t] <= 1)) {
      return InvalidArgument(std::string("link costs: efficiency of ") + Name(static_cast<LinkType>(t)) +
                             " must be in (0, 1]");
    }
  }
  if (!(o.default_mem_bw_gbps > 0) || !std::isfinite(o.default_mem_bw_gbps) ||
      !(o.default_accel_mem_bw_gbps > 0) || !std::isfinite(o.default_accel_mem_bw_gbps)) {
    return InvalidArgument("link costs: default memory bandwidth must be positive");
  }
  LinkCosts c;
  std::unordered_map<NodeId, int> slot_of;
  for (size_t r = 0; r < rank_node.size(); ++r) {
    NodeId n = rank_node[r];
    if (n < 0 || n >= g.num_nodes()) {
      return InvalidArgument("link costs: rank " + std::to_string(r) + " is placed on invalid node " +
                             std::to_string(n));
    }
    if (g.node(n).kind == NodeKind::kHost) {
      return InvalidArgument("link costs: rank " + std::to_string(r) + " is placed on host node '" +
                             g.node(n).id + "' (place it on a device, NUMA node or CPU)");
    }
    auto [it, fresh] = slot_of.emplace(n, static_cast<int>(c.slot_node_.size()));
    if (fresh) c.slot_node_.push_back(n);
    c.rank_slot_.push_back(it->second);
    c.rank_host_.push_back(g.node(n).host);
  }
  size_t slots = c.slot_node_.size();
  c.slot_cost_.resize(slots * slots);
  Router router(g);
  for (size_t i = 0; i < slots; ++i) {
    std::vector<PathInfo> paths = router.FromTo(c.slot_node_[i], c.slot_node_);
    for (size_t j = 0; j < slots; ++j) {
      PairCost& pc = c.slot_cost_[i * slots + j];
      if (i == j) {
        // Two ranks on one device exchange data through its memory: each byte read and written.
        const Node& n = g.node(c.slot_node_[i]);
        double mem = n.bw_gbps;
        if (mem <= 0 || n.kind == NodeKind::kNic) {
          mem = n.kind == NodeKind::kGpu ? o.default_accel_mem_bw_gbps : o.default_mem_bw_gbps;
        }
        pc.bw_gbps = mem / 2;
        pc.level = LinkLevel::kSameDevice;
        pc.alpha_s = o.overhead_us[0] * 1e-6;
        pc.beta_s_per_byte = 1.0 / (pc.bw_gbps * 1e9);
        continue;
      }
      const PathInfo& p = paths[j];
      if (!p.reachable) {
        return InvalidArgument("link costs: no path between '" + g.node(c.slot_node_[i]).id + "' and '" +
                               g.node(c.slot_node_[j]).id + "'");
      }
      pc.level = LevelOf(p);
      double bw = std::numeric_limits<double>::infinity();
      for (const Hop& h : p.hops) bw = std::min(bw, h.bw_gbps * o.efficiency[static_cast<int>(h.type)]);
      pc.bw_gbps = bw;
      pc.beta_s_per_byte = 1.0 / (bw * 1e9);
      pc.alpha_s = (p.latency_us + o.overhead_us[static_cast<int>(pc.level)]) * 1e-6;
      pc.switch_reduce = p.reducing_switch != kNoNode;
      pc.hops = static_cast<int>(p.hops.size());
      c.worst_ = std::max(c.worst_, pc.level);
    }
  }
  c.self_.level = LinkLevel::kSameDevice;

  // Reducing domains: every reducing switch (group) a rank's device reaches directly.
  std::map<int, size_t> domain_of_rnode;
  for (Rank r = 0; r < c.nranks(); ++r) {
    for (NodeId sw : router.NearestSwitches(c.node_of(r))) {
      int rnode = router.RoutingNode(sw);
      if (!router.Caps(rnode).any()) continue;
      auto [it, fresh] = domain_of_rnode.emplace(rnode, c.reducing_.size());
      if (fresh) {
        ReducingDomain d;
        d.name = g.node(sw).group.empty() ? g.node(sw).id : g.node(sw).group;
        d.caps = router.Caps(rnode);
        c.reducing_.push_back(std::move(d));
      }
      c.reducing_[it->second].ranks.push_back(r);
    }
  }
  *out = std::move(c);
  return Status::Ok();
}

const PairCost& LinkCosts::Pair(Rank a, Rank b) const {
  if (a == b) return self_;
  size_t slots = slot_node_.size();
  return slot_cost_[static_cast<size_t>(rank_slot_[static_cast<size_t>(a)]) * slots +
                    static_cast<size_t>(rank_slot_[static_cast<size_t>(b)])];
}

std::vector<std::vector<Rank>> LinkCosts::Groups(LinkLevel level) const {
  size_t slots = slot_node_.size();
  std::vector<int> parent(slots);
  std::iota(parent.begin(), parent.end(), 0);
  for (size_t i = 0; i < slots; ++i) {
    for (size_t j = i + 1; j < slots; ++j) {
      if (slot_cost_[i * slots + j].level <= level) {
        parent[static_cast<size_t>(Find(parent, static_cast<int>(i)))] = Find(parent, static_cast<int>(j));
      }
    }
  }
  std::vector<int> key(rank_slot_.size());
  for (size_t r = 0; r < rank_slot_.size(); ++r) key[r] = Find(parent, rank_slot_[r]);
  return GroupBy(key);
}

std::vector<std::vector<Rank>> LinkCosts::Hosts() const {
  // A rank without a host gets a key of its own (negative, so it never meets a host id).
  std::vector<int64_t> key(rank_host_.size());
  for (size_t r = 0; r < rank_host_.size(); ++r) {
    key[r] = rank_host_[r] != kNoNode ? rank_host_[r] : -1 - static_cast<int64_t>(r);
  }
  return GroupBy(key);
}

std::string LinkCosts::Summary() const {
  struct Stat {
    long pairs = 0;
    double min_bw = 0, max_bw = 0, min_alpha = 0, max_alpha = 0;
    long reducing = 0;
  };
  Stat stats[kNumLinkLevels];
  for (Rank a = 0; a < nranks(); ++a) {
    for (Rank b = a + 1; b < nranks(); ++b) {
      const PairCost& p = Pair(a, b);
      Stat& s = stats[static_cast<int>(p.level)];
      if (s.pairs == 0) {
        s.min_bw = s.max_bw = p.bw_gbps;
        s.min_alpha = s.max_alpha = p.alpha_s;
      }
      ++s.pairs;
      s.min_bw = std::min(s.min_bw, p.bw_gbps);
      s.max_bw = std::max(s.max_bw, p.bw_gbps);
      s.min_alpha = std::min(s.min_alpha, p.alpha_s);
      s.max_alpha = std::max(s.max_alpha, p.alpha_s);
      s.reducing += p.switch_reduce ? 1 : 0;
    }
  }
  auto range = [](double lo, double hi, double scale) {
    return lo == hi ? FormatDouble(std::round(lo * scale * 1000) / 1000)
                    : FormatDouble(std::round(lo * scale * 1000) / 1000) + "-" +
                          FormatDouble(std::round(hi * scale * 1000) / 1000);
  };
  std::ostringstream os;
  os << nranks() << " ranks on " << slot_node_.size() << " devices, " << Hosts().size() << " host(s)\n";
  for (int l = 0; l < kNumLinkLevels; ++l) {
    const Stat& s = stats[l];
    if (s.pairs == 0) continue;
    os << "  " << Name(static_cast<LinkLevel>(l)) << ": " << s.pairs << " pairs, "
       << range(s.min_bw, s.max_bw, 1) << " GB/s, alpha " << range(s.min_alpha, s.max_alpha, 1e6) << " us";
    if (s.reducing > 0) os << ", " << s.reducing << " through a reducing switch";
    os << "\n";
  }
  for (int l = 1; l < kNumLinkLevels; ++l) {
    if (stats[l].pairs == 0) continue;
    os << "  groups at " << Name(static_cast<LinkLevel>(l))
       << " level: " << Groups(static_cast<LinkLevel>(l)).size() << "\n";
  }
  for (const ReducingDomain& d : reducing_) {
    os << "  reducing switch " << d.name << ": " << d.ranks.size() << " ranks, " << FormatReduceCaps(d.caps)
       << "\n";
  }
  return os.str();
}

}  // namespace chorus::topo
