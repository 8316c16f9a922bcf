// PlaceRanks and FindDevice (link_costs.h): which node each rank's device is.
#include <algorithm>
#include <tuple>

#include "core/log.h"
#include "topology/link_costs.h"

namespace chorus::topo {

NodeId FindDevice(const Graph& g, NodeId host, NodeKind kind, int index) {
  for (NodeId n : g.NodesOfKind(kind, host)) {
    if (g.node(n).index == index) return n;
  }
  return kNoNode;
}

Status PlaceRanks(const Graph& g, int nranks, const PlaceOptions& o, std::vector<NodeId>* rank_node) {
  if (nranks < 1) return InvalidArgument("placement: nranks must be >= 1");
  std::vector<NodeId> out;
  if (o.on == PlaceOn::kAccelerators) {
    if (o.ranks_per_device < 1) return InvalidArgument("placement: ranks_per_device must be >= 1");
    std::vector<NodeId> devs = g.NodesOfKind(NodeKind::kGpu);
    // Host order (hosts in graph order, devices outside hosts last), then device index.
    auto key = [&](NodeId n) {
      const Node& node = g.node(n);
      return std::make_tuple(node.host == kNoNode ? g.num_nodes() : node.host, node.index, n);
    };
    std::sort(devs.begin(), devs.end(), [&](NodeId a, NodeId b) { return key(a) < key(b); });
    int64_t capacity = static_cast<int64_t>(devs.size()) * o.ranks_per_device;
    if (nranks > capacity) {
      return InvalidArgument("placement: " + std::to_string(nranks) + " ranks do not fit on " +
                             std::to_string(devs.size()) + " accelerators x " + std::to_string(o.ranks_per_device) +
                             " rank(s) each");
    }
    for (int r = 0; r < nranks; ++r) out.push_back(devs[static_cast<size_t>(r / o.ranks_per_device)]);
    *rank_node = std::move(out);
    return Status::Ok();
  }

  NodeId host = o.host;
  std::vector<NodeId> hosts = g.NodesOfKind(NodeKind::kHost);
  if (host == kNoNode) {
    for (NodeId h : hosts) {
      if (!g.NodesOfKind(NodeKind::kNuma, h).empty() || !g.NodesOfKind(NodeKind::kCpu, h).empty()) {
        host = h;
        break;
      }
    }
    if (host == kNoNode) return InvalidArgument("placement: no host with CPUs in the topology");
  } else if (host < 0 || host >= g.num_nodes() || g.node(host).kind != NodeKind::kHost) {
    return InvalidArgument("placement: node " + std::to_string(host) + " is not a host");
  }
  std::vector<NodeId> mems = g.NodesOfKind(NodeKind::kNuma, host);
  if (mems.empty()) mems = g.NodesOfKind(NodeKind::kCpu, host);
  if (mems.empty()) return InvalidArgument("placement: host '" + g.node(host).id + "' has no CPU or NUMA node");
  std::stable_sort(mems.begin(), mems.end(), [&](NodeId a, NodeId b) { return g.node(a).index < g.node(b).index; });
  int total = 0;
  for (NodeId m : mems) {
    int cores = std::max(1, g.node(m).cores);
    for (int k = 0; k < cores && static_cast<int>(out.size()) < nranks; ++k) out.push_back(m);
    total += cores;
  }
  if (nranks > total) {
    CHORUS_INFO(kTopo, "placement: %d ranks on %d cores of %s: oversubscribed", nranks, total,
                g.node(host).id.c_str());
  }
  for (size_t k = 0; static_cast<int>(out.size()) < nranks; ++k) out.push_back(mems[k % mems.size()]);
  *rank_node = std::move(out);
  return Status::Ok();
}

}  // namespace chorus::topo
