#include "topology/path.h"

#include <algorithm>
#include <limits>
#include <map>
#include <queue>
#include <tuple>
#include <unordered_map>

namespace chorus::topo {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();

ReduceCaps Intersect(const ReduceCaps& a, const ReduceCaps& b) {
  ReduceCaps out;
  for (int i = 0; i < kNumReduceOps; ++i) out.types[i] = a.types[i] & b.types[i];
  return out;
}
}  // namespace

Router::Router(const Graph& g) : g_(g) {
  rnode_of_.assign(static_cast<size_t>(g.num_nodes()), -1);
  std::unordered_map<std::string, int> group_rnode;
  for (NodeId n = 0; n < g.num_nodes(); ++n) {
    const Node& node = g.node(n);
    if (!node.group.empty() && IsSwitch(node.kind)) {
      auto it = group_rnode.find(node.group);
      if (it != group_rnode.end()) {
        RNode& r = rnodes_[static_cast<size_t>(it->second)];
        r.caps = Intersect(r.caps, node.reduce);
        rnode_of_[static_cast<size_t>(n)] = it->second;
        continue;
      }
      group_rnode.emplace(node.group, static_cast<int>(rnodes_.size()));
    }
    rnode_of_[static_cast<size_t>(n)] = static_cast<int>(rnodes_.size());
    RNode r;
    r.rep = n;
    r.forwarding = IsForwarding(node.kind);
    r.caps = node.reduce;
    rnodes_.push_back(std::move(r));
  }

  // Bundle links by (routing endpoints, type); std::map keeps the edge order deterministic.
  std::map<std::tuple<int, int, int>, int> bundle;
  for (LinkId id = 0; id < g.num_links(); ++id) {
    const Link& l = g.link(id);
    if (l.a < 0 || l.a >= g.num_nodes() || l.b < 0 || l.b >= g.num_nodes()) continue;
    int u = rnode_of_[static_cast<size_t>(l.a)];
    int v = rnode_of_[static_cast<size_t>(l.b)];
    if (u == v) continue;  // inside a switch group
    if (u > v) std::swap(u, v);
    auto key = std::make_tuple(u, v, static_cast<int>(l.type));
    auto it = bundle.find(key);
    if (it == bundle.end()) {
      REdge e;
      e.u = u;
      e.v = v;
      e.type = l.type;
      bundle.emplace(key, static_cast<int>(redges_.size()));
      redges_.push_back(e);
      it = bundle.find(key);
    }
    REdge& e = redges_[static_cast<size_t>(it->second)];
    e.bw_gbps += l.bw_gbps;
    e.latency_us = std::max(e.latency_us, l.latency_us);
    e.members.push_back(id);
  }
  for (int e = 0; e < static_cast<int>(redges_.size()); ++e) {
    rnodes_[static_cast<size_t>(redges_[static_cast<size_t>(e)].u)].edges.push_back(e);
    rnodes_[static_cast<size_t>(redges_[static_cast<size_t>(e)].v)].edges.push_back(e);
  }
}

std::vector<double> Router::Widest(int src) const {
  std::vector<double> bw(rnodes_.size(), -1.0);
  std::vector<bool> done(rnodes_.size(), false);
  std::priority_queue<std::pair<double, int>> queue;
  bw[static_cast<size_t>(src)] = kInf;
  queue.emplace(kInf, src);
  while (!queue.empty()) {
    auto [w, u] = queue.top();
    queue.pop();
    if (done[static_cast<size_t>(u)]) continue;
    done[static_cast<size_t>(u)] = true;
    if (u != src && !rnodes_[static_cast<size_t>(u)].forwarding) continue;
    for (int e : rnodes_[static_cast<size_t>(u)].edges) {
      const REdge& edge = redges_[static_cast<size_t>(e)];
      int v = edge.u == u ? edge.v : edge.u;
      double nw = std::min(w, edge.bw_gbps);
      if (nw > bw[static_cast<size_t>(v)]) {
        bw[static_cast<size_t>(v)] = nw;
        queue.emplace(nw, v);
      }
    }
  }
  return bw;
}

std::vector<Router::Label> Router::Shortest(int src, double min_bw, int stop_at) const {
  std::vector<Label> labels(rnodes_.size(), Label{kInf, 0, -1});
  std::vector<bool> done(rnodes_.size(), false);
  using Entry = std::tuple<double, int, int>;  // latency, hops, node: smallest first
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> queue;
  labels[static_cast<size_t>(src)] = Label{0, 0, -1};
  queue.emplace(0.0, 0, src);
  while (!queue.empty()) {
    auto [lat, hops, u] = queue.top();
    queue.pop();
    if (done[static_cast<size_t>(u)]) continue;
    done[static_cast<size_t>(u)] = true;
    if (u == stop_at) break;
    if (u != src && !rnodes_[static_cast<size_t>(u)].forwarding) continue;
    for (int e : rnodes_[static_cast<size_t>(u)].edges) {
      const REdge& edge = redges_[static_cast<size_t>(e)];
      if (edge.bw_gbps < min_bw) continue;
      int v = edge.u == u ? edge.v : edge.u;
      Label& lv = labels[static_cast<size_t>(v)];
      double nl = lat + edge.latency_us;
      int nh = hops + 1;
      if (nl < lv.latency || (nl == lv.latency && nh < lv.hops)) {
        lv = Label{nl, nh, e};
        queue.emplace(nl, nh, v);
      }
    }
  }
  return labels;
}

PathInfo Router::Build(int src, int dst, double bw, const std::vector<Label>& labels) const {
  PathInfo p;
  if (labels[static_cast<size_t>(dst)].latency == kInf) return p;
  p.reachable = true;
  p.bw_gbps = bw;
  p.latency_us = labels[static_cast<size_t>(dst)].latency;
  for (int v = dst; v != src;) {
    int e = labels[static_cast<size_t>(v)].pred_edge;
    const REdge& edge = redges_[static_cast<size_t>(e)];
    int u = edge.u == v ? edge.v : edge.u;
    Hop h;
    h.from = rnodes_[static_cast<size_t>(u)].rep;
    h.to = rnodes_[static_cast<size_t>(v)].rep;
    h.type = edge.type;
    h.bw_gbps = edge.bw_gbps;
    h.latency_us = edge.latency_us;
    h.edge = e;
    h.forward = edge.u == u;
    p.hops.push_back(h);
    v = u;
  }
  std::reverse(p.hops.begin(), p.hops.end());
  for (const Hop& h : p.hops) {
    const REdge& edge = redges_[static_cast<size_t>(h.edge)];
    p.links.insert(p.links.end(), edge.members.begin(), edge.members.end());
    p.type_mask |= 1u << static_cast<int>(h.type);
  }
  // Interior nodes only: a path that starts or ends at a switch does not reduce "through" it.
  for (size_t i = 1; i < p.hops.size(); ++i) {
    int r = rnode_of_[static_cast<size_t>(p.hops[i].from)];
    if (rnodes_[static_cast<size_t>(r)].caps.any()) {
      p.reducing_switch = p.hops[i].from;
      break;
    }
  }
  return p;
}

PathInfo Router::Between(NodeId a, NodeId b) const {
  if (a < 0 || a >= g_.num_nodes() || b < 0 || b >= g_.num_nodes()) return PathInfo{};
  int s = rnode_of_[static_cast<size_t>(a)];
  int d = rnode_of_[static_cast<size_t>(b)];
  if (s == d) {
    PathInfo p;
    p.reachable = true;
    p.bw_gbps = kInf;
    return p;
  }
  std::vector<double> bw = Widest(s);
  if (bw[static_cast<size_t>(d)] <= 0) return PathInfo{};
  return Build(s, d, bw[static_cast<size_t>(d)], Shortest(s, bw[static_cast<size_t>(d)], d));
}

std::vector<PathInfo> Router::From(NodeId src) const {
  std::vector<NodeId> all(static_cast<size_t>(g_.num_nodes()));
  for (NodeId n = 0; n < g_.num_nodes(); ++n) all[static_cast<size_t>(n)] = n;
  return FromTo(src, all);
}

std::vector<PathInfo> Router::FromTo(NodeId src, const std::vector<NodeId>& targets) const {
  std::vector<PathInfo> out(targets.size());
  if (src < 0 || src >= g_.num_nodes()) return out;
  int s = rnode_of_[static_cast<size_t>(src)];
  std::vector<double> bw = Widest(s);
  std::vector<double> widths;
  for (NodeId t : targets) {
    if (t < 0 || t >= g_.num_nodes()) continue;
    int r = rnode_of_[static_cast<size_t>(t)];
    if (r != s && bw[static_cast<size_t>(r)] > 0) widths.push_back(bw[static_cast<size_t>(r)]);
  }
  std::sort(widths.begin(), widths.end());
  widths.erase(std::unique(widths.begin(), widths.end()), widths.end());
  // One latency search per distinct bottleneck: targets of that width take their path from it.
  for (double w : widths) {
    std::vector<Label> labels = Shortest(s, w, -1);
    for (size_t i = 0; i < targets.size(); ++i) {
      NodeId t = targets[i];
      if (t < 0 || t >= g_.num_nodes()) continue;
      int r = rnode_of_[static_cast<size_t>(t)];
      if (r != s && bw[static_cast<size_t>(r)] == w) out[i] = Build(s, r, w, labels);
    }
  }
  for (size_t i = 0; i < targets.size(); ++i) {
    NodeId t = targets[i];
    if (t >= 0 && t < g_.num_nodes() && rnode_of_[static_cast<size_t>(t)] == s) {
      out[i].reachable = true;
      out[i].bw_gbps = kInf;
    }
  }
  return out;
}

std::vector<NodeId> Router::NearestSwitches(NodeId n) const {
  std::vector<NodeId> found;
  if (n < 0 || n >= g_.num_nodes()) return found;
  auto is_domain_switch = [&](int r) {
    NodeKind k = g_.node(rnodes_[static_cast<size_t>(r)].rep).kind;
    return k == NodeKind::kAccelSwitch || k == NodeKind::kNetSwitch;
  };
  int s = rnode_of_[static_cast<size_t>(n)];
  std::vector<bool> seen(rnodes_.size(), false);
  std::vector<int> stack = {s};
  seen[static_cast<size_t>(s)] = true;
  while (!stack.empty()) {
    int u = stack.back();
    stack.pop_back();
    for (int e : rnodes_[static_cast<size_t>(u)].edges) {
      const REdge& edge = redges_[static_cast<size_t>(e)];
      int v = edge.u == u ? edge.v : edge.u;
      if (seen[static_cast<size_t>(v)]) continue;
      seen[static_cast<size_t>(v)] = true;
      if (is_domain_switch(v)) {
        found.push_back(rnodes_[static_cast<size_t>(v)].rep);
      } else if (rnodes_[static_cast<size_t>(v)].forwarding) {
        stack.push_back(v);
      }
    }
  }
  std::sort(found.begin(), found.end());
  return found;
}

Contention Router::Share(const std::vector<Flow>& flows) const {
  Contention c;
  c.flow_bw_gbps.assign(flows.size(), 0.0);
  std::vector<PathInfo> paths;
  paths.reserve(flows.size());
  // (edge, direction) -> flows crossing it
  std::map<std::pair<int, bool>, std::vector<int>> users;
  for (size_t f = 0; f < flows.size(); ++f) {
    paths.push_back(Between(flows[f].src, flows[f].dst));
    for (const Hop& h : paths.back().hops) users[{h.edge, h.forward}].push_back(static_cast<int>(f));
  }
  for (size_t f = 0; f < flows.size(); ++f) {
    const PathInfo& p = paths[f];
    if (!p.reachable) continue;
    double bw = p.bw_gbps;
    for (const Hop& h : p.hops) {
      bw = std::min(bw, h.bw_gbps / static_cast<double>(users[{h.edge, h.forward}].size()));
    }
    c.flow_bw_gbps[f] = bw;
  }
  for (const auto& [key, list] : users) {
    if (list.size() < 2) continue;
    SharedHop s;
    s.flows = list;
    s.links = redges_[static_cast<size_t>(key.first)].members;
    for (const Hop& h : paths[static_cast<size_t>(list.front())].hops) {
      if (h.edge == key.first && h.forward == key.second) s.hop = h;
    }
    c.shared.push_back(std::move(s));
  }
  return c;
}

}  // namespace chorus::topo
