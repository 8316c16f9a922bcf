// Path queries on a topology graph: the best route between two nodes and what concurrent flows
// share.
//
// "Best" is the widest path (largest bottleneck bandwidth); among equally wide paths the one with
// the smallest summed latency, then the fewest hops. Paths never pass THROUGH accelerators, NUMA
// nodes or hosts (IsForwarding): a GPU does not forward traffic for its peers. Switches that share
// a group are routed as one switch whose links to a neighbour carry the members' summed bandwidth
// (graph.h), and parallel links of one type between the same two nodes are summed likewise.
#pragma once

#include <cstdint>
#include <vector>

#include "topology/graph.h"

namespace chorus::topo {

// One step of a path over the routing view (a link, or a bundle of parallel links).
struct Hop {
  NodeId from = kNoNode;  // a representative node (the first member of a switch group)
  NodeId to = kNoNode;
  LinkType type = LinkType::kPcie;
  double bw_gbps = 0;     // the bundle's bandwidth in this direction
  double latency_us = 0;  // the slowest member's latency
  int edge = -1;          // routing edge id (stable for one Router)
  bool forward = true;    // direction along the routing edge (contention is per direction)
};

struct PathInfo {
  bool reachable = false;
  double bw_gbps = 0;     // bottleneck over the hops; +inf for a node to itself
  double latency_us = 0;  // summed over the hops
  std::vector<Hop> hops;
  std::vector<LinkId> links;         // every physical link the hops bundle
  uint32_t type_mask = 0;            // bit (1 << LinkType) for each type crossed
  NodeId reducing_switch = kNoNode;  // the first switch on the path with reduce capabilities

  bool Crosses(LinkType t) const { return (type_mask >> static_cast<int>(t)) & 1u; }
};

// Concurrent flows: which hops they share and what each gets when all run at once (the hop's
// bandwidth split evenly among the flows crossing it in that direction).
struct Flow {
  NodeId src = kNoNode;
  NodeId dst = kNoNode;
};
struct SharedHop {
  Hop hop;
  std::vector<int> flows;     // indices into the flows given, at least two
  std::vector<LinkId> links;  // the physical links bundled in the hop
};
struct Contention {
  std::vector<double> flow_bw_gbps;  // per flow; 0 when unreachable
  std::vector<SharedHop> shared;     // hops crossed by two or more flows, in routing-edge order
};

class Router {
 public:
  // `g` must outlive the Router and stay unchanged.
  explicit Router(const Graph& g);

  PathInfo Between(NodeId a, NodeId b) const;
  // Best paths from `src` to every node (index = NodeId).
  std::vector<PathInfo> From(NodeId src) const;
  // Best paths from `src` to each of `targets` (same order): cheaper than From on big graphs.
  std::vector<PathInfo> FromTo(NodeId src, const std::vector<NodeId>& targets) const;
  Contention Share(const std::vector<Flow>& flows) const;

  // The accelerator and network switches `n` reaches without passing through another one (nor
  // through an endpoint): its switch domains. Representative node ids, ascending.
  std::vector<NodeId> NearestSwitches(NodeId n) const;

  // The routing node a graph node maps to: equal for the members of one switch group.
  int RoutingNode(NodeId n) const { return rnode_of_[static_cast<size_t>(n)]; }
  const Graph& graph() const { return g_; }
  // Reduction capabilities of a routing node: for a group, what every member supports.
  const ReduceCaps& Caps(int rnode) const { return rnodes_[static_cast<size_t>(rnode)].caps; }

 private:
  struct RNode {
    NodeId rep = kNoNode;
    bool forwarding = false;
    ReduceCaps caps;
    std::vector<int> edges;
  };
  struct REdge {
    int u = -1;
    int v = -1;
    LinkType type = LinkType::kPcie;
    double bw_gbps = 0;
    double latency_us = 0;
    std::vector<LinkId> members;
  };
  struct Label {
    double latency = 0;
    int hops = 0;
    int pred_edge = -1;
  };

  std::vector<double> Widest(int src) const;
  // Lowest-latency paths from `src` over edges at least `min_bw` wide.
  std::vector<Label> Shortest(int src, double min_bw, int stop_at) const;
  PathInfo Build(int src, int dst, double bw, const std::vector<Label>& labels) const;

  const Graph& g_;
  std::vector<int> rnode_of_;
  std::vector<RNode> rnodes_;
  std::vector<REdge> redges_;
};

}  // namespace chorus::topo
