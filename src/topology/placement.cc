// PlaceRanks and FindDevice (link_costs.h): which node each rank's device is.
#include <algorithm>
#include <string_view>
#include <tuple>

#include "core/log.h"
#include "topology/detect_internal.h"
#include "topology/link_costs.h"

namespace chorus::topo {

NodeId FindDevice(const Graph& g, NodeId host, NodeKind kind, int index) {
  for (NodeId n : g.NodesOfKind(kind, host)) {
    if (g.node(n).index == index) return n;
  }
  return kNoNode;
}

namespace {
// Strict hex field: 1..8 hex digits, nothing else.
bool Hex(std::string_view s, unsigned* out) {
  if (s.empty() || s.size() > 8) return false;
  unsigned v = 0;
  for (char c : s) {
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (d < 0) return false;
    v = v * 16 + static_cast<unsigned>(d);
  }
  *out = v;
  return true;
}
}  // namespace

NodeId FindDeviceByPci(const Graph& g, NodeId host, std::string_view bus_id) {
  // [domain:]bus:device.function
  size_t dot = bus_id.rfind('.');
  if (dot == std::string_view::npos) return kNoNode;
  std::string_view head = bus_id.substr(0, dot);
  size_t c2 = head.rfind(':');
  if (c2 == std::string_view::npos) return kNoNode;
  size_t c1 = head.rfind(':', c2 == 0 ? std::string_view::npos : c2 - 1);
  unsigned domain = 0, bus = 0, dev = 0, func = 0;
  if (c1 != std::string_view::npos && !Hex(head.substr(0, c1), &domain)) return kNoNode;
  std::string_view bus_sv =
      c1 == std::string_view::npos ? head.substr(0, c2) : head.substr(c1 + 1, c2 - c1 - 1);
  if (!Hex(bus_sv, &bus) || !Hex(head.substr(c2 + 1), &dev) || !Hex(bus_id.substr(dot + 1), &func)) {
    return kNoNode;
  }
  if (domain > 0xffff || bus > 0xff || dev > 0x1f || func > 7) return kNoNode;
  return detail::FindByPci(g, host, detail::PciBusId(domain, bus, dev, func));
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
                             std::to_string(devs.size()) + " accelerators x " +
                             std::to_string(o.ranks_per_device) + " rank(s) each");
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
  if (mems.empty())
    return InvalidArgument("placement: host '" + g.node(host).id + "' has no CPU or NUMA node");
  std::stable_sort(mems.begin(), mems.end(),
                   [&](NodeId a, NodeId b) { return g.node(a).index < g.node(b).index; });
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
