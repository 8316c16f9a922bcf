#include "topology/join.h"

#include <map>
#include <string>

#include "core/log.h"
#include "topology/detect_internal.h"
#include "topology/figures.h"

namespace chorus::topo {

Status JoinHosts(const std::vector<Graph>& per_rank, const JoinOptions& opts, Graph* out,
                 std::vector<NodeId>* host_of_rank) {
  if (per_rank.empty()) return InvalidArgument("join: no graphs");
  if (!(opts.net_latency_us >= 0)) return InvalidArgument("join: latency must be >= 0");
  Graph g;
  std::map<std::string, NodeId> host_by_id;
  std::vector<NodeId> hosts;
  std::vector<NodeId> rank_host;
  std::vector<std::pair<NodeId, double>> nics;  // NIC node, port speed
  for (size_t r = 0; r < per_rank.size(); ++r) {
    const Graph& in = per_rank[r];
    Status s = in.Validate();
    if (!s.ok()) return InvalidArgument("join: rank " + std::to_string(r) + "'s topology: " + s.message());
    std::vector<NodeId> in_hosts = in.NodesOfKind(NodeKind::kHost);
    if (in_hosts.size() > 1) {
      return InvalidArgument("join: rank " + std::to_string(r) + "'s topology holds " +
                             std::to_string(in_hosts.size()) + " hosts (expected one)");
    }
    std::string key = in_hosts.empty() ? "rank" + std::to_string(r) : in.node(in_hosts[0]).hostid;
    if (key.empty()) key = "rank" + std::to_string(r);
    auto it = host_by_id.find(key);
    if (it != host_by_id.end()) {
      rank_host.push_back(it->second);
      continue;
    }
    std::string p = "m" + std::to_string(hosts.size()) + ".";
    NodeId base = g.num_nodes();
    NodeId host = kNoNode;
    if (in_hosts.empty()) {
      Node h;
      h.kind = NodeKind::kHost;
      h.id = p + "host";
      h.name = in.name;
      h.hostid = key;
      host = g.AddNode(std::move(h));
      base = g.num_nodes();
    }
    for (const Node& src : in.nodes()) {
      Node n = src;
      n.id = p + n.id;
      if (!n.group.empty()) n.group = p + n.group;
      if (n.kind == NodeKind::kHost) {
        n.hostid = key;
      } else if (n.host != kNoNode) {
        n.host += base;
      } else if (in_hosts.empty()) {
        n.host = host;
      }
      NodeId id = g.AddNode(std::move(n));
      if (src.kind == NodeKind::kHost) host = id;
    }
    for (Link l : in.links()) {
      l.a += base;
      l.b += base;
      g.AddLink(l);
    }
    bool has_nic = false;
    for (NodeId nic : in.NodesOfKind(NodeKind::kNic)) {
      has_nic = true;
      double bw = in.node(nic).bw_gbps > 0 ? in.node(nic).bw_gbps : fig::kDefaultNicGbps;
      nics.emplace_back(base + nic, bw);
    }
    if (!has_nic) {
      CHORUS_INFO(kTopo, "join: host %s has no NIC: one of %.1f GB/s assumed", key.c_str(),
                  fig::kDefaultNicGbps);
      Node n;
      n.kind = NodeKind::kNic;
      n.id = p + "nic-assumed";
      n.host = host;
      n.bw_gbps = fig::kDefaultNicGbps;
      NodeId nic = g.AddNode(std::move(n));
      Link l;
      l.a = nic;
      l.b = detail::FirstCpu(&g, host);
      l.type = LinkType::kPcie;
      l.bw_gbps = fig::PcieGbps(3, 16);
      l.latency_us = fig::kPcieLatencyUs;
      g.AddLink(l);
      nics.emplace_back(nic, fig::kDefaultNicGbps);
    }
    host_by_id.emplace(key, host);
    hosts.push_back(host);
    rank_host.push_back(host);
  }
  if (hosts.size() > 1) {
    Node sw;
    sw.kind = NodeKind::kNetSwitch;
    sw.id = "net";
    sw.name = "network";
    NodeId s = g.AddNode(std::move(sw));
    for (const auto& [nic, bw] : nics) {
      Link l;
      l.a = nic;
      l.b = s;
      l.type = LinkType::kNetwork;
      l.bw_gbps = bw;
      l.latency_us = opts.net_latency_us;
      g.AddLink(l);
    }
  }
  CHORUS_RETURN_IF_ERROR(g.Validate());
  g.name = hosts.size() == 1 ? g.node(hosts[0]).name : std::to_string(hosts.size()) + " hosts";
  *out = std::move(g);
  *host_of_rank = std::move(rank_host);
  return Status::Ok();
}

}  // namespace chorus::topo
