// MakeFatTree (machines.h): copies of one machine joined by a two-level fat tree of network
// switches. Rail-optimized by default (NIC r of every host on rail r's leaves), as in DGX
// SuperPOD-style clusters; spines form one group, so ECMP over them is routed as one wide switch.
#include <algorithm>
#include <cmath>
#include <map>

#include "topology/figures.h"
#include "topology/machines.h"

namespace chorus::topo {

namespace {
std::string S(const char* base, int i) { return base + std::to_string(i); }
}  // namespace

Status MakeFatTree(const Graph& node, int nodes, const FatTreeOptions& o, Graph* out) {
  CHORUS_RETURN_IF_ERROR(node.Validate());
  if (nodes < 1 || nodes > 65536) return InvalidArgument("fat tree: nodes must be in [1, 65536]");
  if (o.nodes_per_leaf < 0) return InvalidArgument("fat tree: nodes_per_leaf must be >= 0");
  if (o.spines < 1 || o.spines > 4096) return InvalidArgument("fat tree: spines must be in [1, 4096]");
  if (!(o.oversubscription >= 1) || !std::isfinite(o.oversubscription)) {
    return InvalidArgument("fat tree: oversubscription must be a finite number >= 1");
  }
  if (!(o.nic_latency_us >= 0) || !std::isfinite(o.nic_latency_us) || !(o.uplink_latency_us >= 0) ||
      !std::isfinite(o.uplink_latency_us)) {
    return InvalidArgument("fat tree: latencies must be finite and >= 0");
  }
  // Rail of each NIC: its position among the NICs of its host.
  std::vector<NodeId> nics = node.NodesOfKind(NodeKind::kNic);
  if (nics.empty()) return InvalidArgument("fat tree: the machine '" + node.name + "' has no NIC");
  std::map<NodeId, int> next_rail;
  std::vector<int> rail_of_nic;
  int rails = 1;
  for (NodeId nic : nics) {
    int r = next_rail[node.node(nic).host]++;
    rail_of_nic.push_back(o.rail_optimized ? r : 0);
    if (o.rail_optimized) rails = std::max(rails, r + 1);
  }
  int per_leaf = o.nodes_per_leaf == 0 ? nodes : std::min(o.nodes_per_leaf, nodes);
  int leaves_per_rail = (nodes + per_leaf - 1) / per_leaf;

  Graph g;
  g.name = S("fat-tree-", nodes) + "x-" + node.name;
  std::vector<std::vector<NodeId>> leaf(static_cast<size_t>(rails));
  std::vector<double> leaf_down;  // summed NIC bandwidth under each leaf, indexed like `leaf`
  for (int r = 0; r < rails; ++r) {
    for (int l = 0; l < leaves_per_rail; ++l) {
      Node sw;
      sw.kind = NodeKind::kNetSwitch;
      sw.id = o.rail_optimized ? "leaf.r" + std::to_string(r) + "." + std::to_string(l) : S("leaf", l);
      sw.name = "leaf switch";
      sw.reduce = o.reduce;
      leaf[static_cast<size_t>(r)].push_back(g.AddNode(std::move(sw)));
    }
  }
  std::map<NodeId, double> down;
  for (int i = 0; i < nodes; ++i) {
    std::string p = S("n", i) + ".";
    NodeId base = g.num_nodes();
    for (const Node& src : node.nodes()) {
      Node n = src;
      n.id = p + n.id;
      if (n.host != kNoNode) n.host += base;
      if (!n.group.empty()) n.group = p + n.group;
      if (n.kind == NodeKind::kHost) {
        n.hostid = (n.hostid.empty() ? n.id : n.hostid) + S("/n", i);
        n.name = (n.name.empty() ? src.id : n.name) + S("-n", i);
      }
      g.AddNode(std::move(n));
    }
    for (Link l : node.links()) {
      l.a += base;
      l.b += base;
      g.AddLink(l);
    }
    for (size_t k = 0; k < nics.size(); ++k) {
      NodeId nic = base + nics[k];
      double bw = node.node(nics[k]).bw_gbps > 0 ? node.node(nics[k]).bw_gbps : fig::kDefaultNicGbps;
      NodeId sw = leaf[static_cast<size_t>(rail_of_nic[k])][static_cast<size_t>(i / per_leaf)];
      Link l;
      l.a = nic;
      l.b = sw;
      l.type = LinkType::kNetwork;
      l.bw_gbps = bw;
      l.latency_us = o.nic_latency_us;
      g.AddLink(l);
      down[sw] += bw;
    }
  }
  if (rails * leaves_per_rail > 1) {
    for (int s = 0; s < o.spines; ++s) {
      Node sw;
      sw.kind = NodeKind::kNetSwitch;
      sw.id = S("spine", s);
      sw.name = "spine switch";
      sw.group = "spine";
      sw.reduce = o.reduce;
      NodeId spine = g.AddNode(std::move(sw));
      for (const auto& rail : leaf) {
        for (NodeId l : rail) {
          Link up;
          up.a = l;
          up.b = spine;
          up.type = LinkType::kNetwork;
          up.bw_gbps = down[l] / (o.spines * o.oversubscription);
          up.latency_us = o.uplink_latency_us;
          g.AddLink(up);
        }
      }
    }
  }
  CHORUS_RETURN_IF_ERROR(g.Validate());
  *out = std::move(g);
  return Status::Ok();
}

}  // namespace chorus::topo
