#include "tune/topology_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <set>

#include "topology/path.h"

namespace chorus::tune {
namespace {

using topo::Graph;
using topo::LinkCosts;
using topo::Node;
using topo::NodeId;
using topo::NodeKind;

// Ranks on anything but an accelerator run on CPU cores and talk through host memory.
bool IsAccel(const Node& n) { return n.kind == NodeKind::kGpu; }

// FNV-1a: the model's name must tell machines apart (the tuner's cache and logs key on it).
struct Hash {
  uint64_t h = 1469598103934665603ull;
  void Bytes(const void* p, size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
  }
  void Str(const std::string& s) { Bytes(s.data(), s.size() + 1); }
  template <typename T>
  void Val(T v) {
    Bytes(&v, sizeof(v));
  }
};

uint64_t HashInputs(const Graph& g, const std::vector<NodeId>& rank_node, const TopologyModelOptions& o) {
  Hash h;
  h.Str(g.name);
  for (const Node& n : g.nodes()) {
    h.Val(static_cast<int>(n.kind));
    h.Str(n.id);
    h.Val(n.host);
    h.Val(n.bw_gbps);
    h.Str(n.group);
    for (uint32_t t : n.reduce.types) h.Val(t);
  }
  for (const topo::Link& l : g.links()) {
    h.Val(l.a);
    h.Val(l.b);
    h.Val(static_cast<int>(l.type));
    h.Val(l.bw_gbps);
    h.Val(l.latency_us);
  }
  for (NodeId n : rank_node) h.Val(n);
  for (double e : o.link_costs.efficiency) h.Val(e);
  for (double e : o.link_costs.overhead_us) h.Val(e);
  h.Val(o.link_costs.default_mem_bw_gbps);
  h.Val(o.link_costs.default_accel_mem_bw_gbps);
  h.Val(o.accel_overhead_us);
  h.Val(o.switch_efficiency);
  h.Val(o.switch_latencies);
  h.Val(o.host_memory_passes);
  h.Val(o.pipeline_bytes);
  return h.h;
}

// GB/s of memory (reads + writes) of an accelerator.
double AccelMemGbps(const Node& n, const topo::LinkCostOptions& o) {
  return n.bw_gbps > 0 ? n.bw_gbps : o.default_accel_mem_bw_gbps;
}

// Summed memory bandwidth of a host's NUMA nodes (host ranks share it), or of the rank's node
// when it has no host; 0 when one of them does not say (detection rarely knows).
double HostMemGbps(const Graph& g, NodeId rank_node) {
  const Node& n = g.node(rank_node);
  std::vector<NodeId> numas;
  if (n.host != topo::kNoNode) numas = g.NodesOfKind(NodeKind::kNuma, n.host);
  if (numas.empty()) return n.kind == NodeKind::kNuma ? n.bw_gbps : 0;
  double sum = 0;
  for (NodeId m : numas) {
    if (!(g.node(m).bw_gbps > 0)) return 0;
    sum += g.node(m).bw_gbps;
  }
  return sum;
}

// Usable GB/s of an accelerator's ports: the distinct first hops of its best paths to the other
// ranks' devices (a bundle of parallel links counts once, at its summed bandwidth). 0 when no
// other device holds a rank.
double PortGbps(const topo::Router& router, NodeId dev, const std::vector<NodeId>& others,
                const topo::LinkCostOptions& o) {
  std::set<std::pair<int, bool>> seen;
  double sum = 0;
  for (const topo::PathInfo& p : router.FromTo(dev, others)) {
    if (!p.reachable || p.hops.empty()) continue;
    const topo::Hop& h = p.hops.front();
    if (!seen.insert({h.edge, h.forward}).second) continue;
    sum += h.bw_gbps * o.efficiency[static_cast<int>(h.type)];
  }
  return sum;
}

// Shared links: every directed hop of the ranks' best paths, except the hops that leave or
// enter a rank's own device (its ports: the endpoint models them) and memory hops (the domain
// models memory). Pairs of devices that cross the same hop in the same direction share its
// usable bandwidth: a NIC several GPUs use, a PCIe switch's uplink, the socket link, a spine.
//
// Traffic between hosts leaves through the NIC assigned to the sending device and enters through
// the receiver's (as NCCL assigns one NIC per GPU): the nearest NIC of the host (widest path,
// then lowest latency), ties going to the NIC with the fewest devices so far. Without this, ties
// in the best path would send every GPU of a PCIe switch through its first NIC.
std::map<NodeId, NodeId> AssignNics(const Graph& g, const topo::Router& router, const std::vector<NodeId>& devices) {
  std::map<NodeId, NodeId> nic_of;
  std::map<NodeId, int> load;
  std::vector<NodeId> sorted = devices;
  std::sort(sorted.begin(), sorted.end());
  for (NodeId d : sorted) {
    const NodeId host = g.node(d).host;
    if (host == topo::kNoNode) continue;
    NodeId best = topo::kNoNode;
    double best_bw = 0, best_lat = 0;
    for (NodeId nic : g.NodesOfKind(NodeKind::kNic, host)) {
      const topo::PathInfo p = router.Between(d, nic);
      if (!p.reachable) continue;
      const bool better = best == topo::kNoNode || p.bw_gbps > best_bw * (1 + 1e-9) ||
                          (p.bw_gbps >= best_bw * (1 - 1e-9) &&
                           (p.latency_us < best_lat - 1e-9 ||
                            (p.latency_us <= best_lat + 1e-9 && load[nic] < load[best])));
      if (better) {
        best = nic;
        best_bw = p.bw_gbps;
        best_lat = p.latency_us;
      }
    }
    if (best != topo::kNoNode) {
      nic_of[d] = best;
      ++load[best];
    }
  }
  return nic_of;
}

void AddSharedLinks(const Graph& g, const std::vector<NodeId>& rank_node, const std::vector<NodeId>& devices,
                    const topo::LinkCostOptions& o, LinkModel* m) {
  topo::Router router(g);
  const std::map<NodeId, NodeId> nic_of = AssignNics(g, router, devices);
  std::map<NodeId, size_t> slot;
  for (NodeId d : devices) slot.emplace(d, slot.size());
  const size_t slots = devices.size();
  std::map<std::pair<int, bool>, int> hop_index;
  std::vector<double> beta;
  std::map<std::vector<int>, int> list_index;  // pairs crossing the same hops share one list
  auto lists = std::make_shared<std::vector<std::vector<int>>>();
  std::vector<int> pair_list(slots * slots, -1);
  for (size_t i = 0; i < slots; ++i) {
    const std::vector<topo::PathInfo> paths = router.FromTo(devices[i], devices);
    for (size_t j = 0; j < slots; ++j) {
      if (i == j || !paths[j].reachable) continue;
      std::vector<topo::Hop> hops = paths[j].hops;
      auto ni = nic_of.find(devices[i]), nj = nic_of.find(devices[j]);
      if (paths[j].Crosses(topo::LinkType::kNetwork) && ni != nic_of.end() && nj != nic_of.end() &&
          g.node(devices[i]).host != g.node(devices[j]).host) {
        const topo::PathInfo out = router.Between(devices[i], ni->second);
        const topo::PathInfo net = router.Between(ni->second, nj->second);
        const topo::PathInfo in = router.Between(nj->second, devices[j]);
        if (out.reachable && net.reachable && in.reachable) {
          hops = out.hops;
          hops.insert(hops.end(), net.hops.begin(), net.hops.end());
          hops.insert(hops.end(), in.hops.begin(), in.hops.end());
        }
      }
      std::vector<std::pair<double, int>> crossed;  // (beta, index)
      for (const topo::Hop& h : hops) {
        if (h.type == topo::LinkType::kMemory) continue;
        if (h.from == devices[i] || h.to == devices[j] || h.from == devices[j] || h.to == devices[i]) continue;
        const double b = 1.0 / (h.bw_gbps * o.efficiency[static_cast<int>(h.type)] * 1e9);
        auto [it, fresh] = hop_index.emplace(std::make_pair(h.edge, h.forward), static_cast<int>(beta.size()));
        if (fresh) beta.push_back(b);
        crossed.emplace_back(b, it->second);
      }
      if (crossed.empty()) continue;
      // The narrowest first: the simulator takes a bounded number.
      std::stable_sort(crossed.begin(), crossed.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
      std::vector<int> ids;
      for (const auto& c : crossed) ids.push_back(c.second);
      auto [it, fresh] = list_index.emplace(ids, static_cast<int>(lists->size()));
      if (fresh) lists->push_back(std::move(ids));
      pair_list[i * slots + j] = it->second;
    }
  }
  if (lists->empty()) return;
  std::vector<int> rank_slot;
  for (NodeId d : rank_node) rank_slot.push_back(static_cast<int>(slot.at(d)));
  m->shared_beta_s_per_byte = std::move(beta);
  m->shared = [lists, pair_list = std::move(pair_list), rank_slot = std::move(rank_slot),
               slots](Rank a, Rank b) -> const std::vector<int>* {
    const int l = pair_list[static_cast<size_t>(rank_slot[static_cast<size_t>(a)]) * slots +
                            static_cast<size_t>(rank_slot[static_cast<size_t>(b)])];
    return l < 0 ? nullptr : &(*lists)[static_cast<size_t>(l)];
  };
}

std::string Gbps(double seconds_per_byte) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.4g GB/s", seconds_per_byte > 0 ? 1e-9 / seconds_per_byte : 0.0);
  return buf;
}

std::string Us(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3g us", seconds * 1e6);
  return buf;
}

}  // namespace

Status ModelFromTopology(const Graph& g, const std::vector<NodeId>& rank_node, const TopologyModelOptions& o,
                         TopologyModel* out) {
  if (!(o.switch_efficiency > 0 && o.switch_efficiency <= 1))
    return InvalidArgument("topology model: switch_efficiency must be in (0, 1]");
  auto finite_at_least = [](double v, double lo) { return v >= lo && std::isfinite(v); };
  if (!finite_at_least(o.switch_latencies, 0) || !(o.host_memory_passes > 0) ||
      !finite_at_least(o.host_memory_passes, 0) || !finite_at_least(o.accel_overhead_us, 0) ||
      !finite_at_least(o.pipeline_bytes, 1)) {
    return InvalidArgument("topology model: options out of range");
  }
  auto costs = std::make_shared<LinkCosts>();
  CHORUS_RETURN_IF_ERROR(LinkCosts::Compute(g, rank_node, o.link_costs, costs.get()));
  const int n = costs->nranks();
  const LinkModel host = DefaultHostModel();
  const LinkCost host_msg = host.link(0, 1);

  TopologyModel tm;
  LinkModel& m = tm.model;
  char hash[32];
  std::snprintf(hash, sizeof(hash), "%016llx", static_cast<unsigned long long>(HashInputs(g, rank_node, o)));
  m.name = "topo:" + (g.name.empty() ? std::string("graph") : g.name) + "/" + std::to_string(n) + "r/" + hash;

  // Per-pair cost. Host ranks: one core copies every message (the calibrated shm figures bound
  // the hardware path); accelerators: the path itself.
  std::vector<uint8_t> on_host(static_cast<size_t>(n));
  bool any_host = false, any_accel = false;
  for (Rank r = 0; r < n; ++r) {
    on_host[static_cast<size_t>(r)] = IsAccel(g.node(rank_node[static_cast<size_t>(r)])) ? 0 : 1;
    (on_host[static_cast<size_t>(r)] ? any_host : any_accel) = true;
  }
  const double accel_alpha = o.accel_overhead_us * 1e-6;
  m.link = [costs, on_host, host_msg, accel_alpha](Rank a, Rank b) {
    const topo::PairCost& p = costs->Pair(a, b);
    LinkCost c{p.alpha_s, p.beta_s_per_byte};
    if (on_host[static_cast<size_t>(a)] || on_host[static_cast<size_t>(b)]) {
      c.alpha_s += host_msg.alpha_s;
      c.beta_s_per_byte = std::max(c.beta_s_per_byte, host_msg.beta_s_per_byte);
    } else {
      c.alpha_s += accel_alpha;
    }
    return c;
  };

  // Ranks per distinct device, and the devices in rank order of first use.
  std::map<NodeId, int> per_device;
  std::vector<NodeId> devices;
  for (NodeId d : rank_node) {
    if (per_device[d]++ == 0) devices.push_back(d);
  }

  // Endpoints, gamma and copy: the slowest rank's.
  double endpoint_beta = 0, gamma = 0, copy = 0;
  if (any_host) {
    endpoint_beta = host.endpoint_beta_s_per_byte;
    gamma = host.gamma_s_per_byte;
    copy = host.copy_s_per_byte;
  }
  std::map<NodeId, double> port_gbps;  // usable port bandwidth of each accelerator holding ranks
  if (any_accel) {
    topo::Router router(g);
    for (NodeId d : devices) {
      const Node& dev = g.node(d);
      if (!IsAccel(dev)) continue;
      double mem = AccelMemGbps(dev, o.link_costs) * 1e9;
      gamma = std::max(gamma, 3 / mem);
      copy = std::max(copy, 2 / mem);
      std::vector<NodeId> others;
      for (NodeId e : devices)
        if (e != d) others.push_back(e);
      double port = PortGbps(router, d, others, o.link_costs);
      port_gbps[d] = port;
      // Ranks sharing a device share its ports; sends and receives use both directions.
      if (port > 0) endpoint_beta = std::max(endpoint_beta, per_device[d] / (2 * port * 1e9));
    }
  }
  AddSharedLinks(g, rank_node, devices, o.link_costs, &m);
  m.endpoint_beta_s_per_byte = endpoint_beta;
  m.gamma_s_per_byte = gamma;
  m.copy_s_per_byte = copy;
  if (any_host && !any_accel) {
    m.cache_bytes = host.cache_bytes;
    m.cache_speedup = host.cache_speedup;
    m.cache_usable_share = host.cache_usable_share;
    m.reduce_cache_share = host.reduce_cache_share;
    m.forward_cache_speedup = host.forward_cache_speedup;
    m.memory_read_s_per_byte = host.memory_read_s_per_byte;
    m.stream_speedup = host.stream_speedup;
    m.private_cache_bytes = host.private_cache_bytes;
    m.private_cache_speedup = host.private_cache_speedup;
  }
  // Host ranks talk through the shm transport, whose slot is the calibrated model's grain.
  m.pipeline_bytes = any_host && !any_accel ? host.pipeline_bytes : o.pipeline_bytes;

  // Domains: host ranks share their host's memory, ranks on one accelerator share its memory.
  std::vector<int> domain(static_cast<size_t>(n), -1);
  std::map<int, int> domain_size;
  double domain_beta = 0;
  for (Rank r = 0; r < n; ++r) {
    NodeId d = rank_node[static_cast<size_t>(r)];
    const Node& node = g.node(d);
    int key = on_host[static_cast<size_t>(r)] ? (node.host != topo::kNoNode ? node.host : d) : d;
    domain[static_cast<size_t>(r)] = key;
    if (++domain_size[key] < 2) continue;
    double beta = 0;
    if (on_host[static_cast<size_t>(r)]) {
      // Without memory figures, the calibrated host (DefaultHostModel) stands in.
      double mem = HostMemGbps(g, d);
      beta = mem > 0 ? o.host_memory_passes / (mem * 1e9) : host.domain_beta_s_per_byte;
    } else {
      beta = 2 / (AccelMemGbps(node, o.link_costs) * 1e9);
    }
    domain_beta = std::max(domain_beta, beta);
  }
  if (domain_beta > 0) {
    m.domain = [domain](Rank r) { return domain[static_cast<size_t>(r)]; };
    m.domain_beta_s_per_byte = domain_beta;
  }

  // Hints: consecutive, equal groups of ranks per host.
  TopologyHints& h = tm.hints;
  h.nranks = n;
  std::vector<std::vector<Rank>> hosts = costs->Hosts();
  if (hosts.size() > 1) {
    const size_t k = hosts.front().size();
    bool regular = k > 1;
    for (size_t i = 0; regular && i < hosts.size(); ++i) {
      regular = hosts[i].size() == k;
      for (size_t j = 0; regular && j < k; ++j) regular = hosts[i][j] == static_cast<Rank>(i * k + j);
    }
    if (regular) h.ranks_per_node = static_cast<int>(k);
  }
  for (const topo::ReducingDomain& d : costs->reducing_domains()) {
    std::set<Rank> members(d.ranks.begin(), d.ranks.end());
    if (static_cast<int>(members.size()) != n) continue;
    h.reducing_switch = true;
    h.switch_caps = d.caps;
    h.switch_name = d.name;
    break;
  }
  if (h.reducing_switch && n > 1) {
    // The switch serves every rank at the speed of the slowest rank's path to it.
    double alpha = 0, beta = 0;
    for (Rank a = 0; a < n; ++a) {
      for (Rank b = 0; b < n; ++b) {
        if (a == b) continue;
        LinkCost c = m.link(a, b);
        alpha = std::max(alpha, c.alpha_s);
        beta = std::max(beta, c.beta_s_per_byte);
      }
    }
    m.switch_alpha_s = o.switch_latencies * alpha;
    m.switch_beta_s_per_byte = beta / o.switch_efficiency;
    // Ranks on one device share its ports into the switch: the aggregate is the devices' ports.
    double ports = 0;
    for (NodeId d : devices) {
      auto it = port_gbps.find(d);
      if (it != port_gbps.end()) ports += it->second;
    }
    if (ports > 0) m.switch_aggregate_beta_s_per_byte = 1 / (ports * o.switch_efficiency * 1e9);
  }

  std::string& desc = tm.description;
  const char* kinds = any_accel && any_host ? "accelerators and host cores"
                      : any_accel             ? "accelerators"
                                              : "host cores";
  desc = "model " + m.name + ": " + std::to_string(n) + " ranks (" + kinds + ")\n";
  desc += "  endpoint (sends + receives per rank): " + Gbps(m.endpoint_beta_s_per_byte) + "\n";
  if (m.domain) desc += "  shared memory domain: " + Gbps(m.domain_beta_s_per_byte) + "\n";
  desc += "  reduce: " + Gbps(m.gamma_s_per_byte) + ", copy: " + Gbps(m.copy_s_per_byte) + "\n";
  desc += "  ranks per host: " +
          (h.ranks_per_node > 0 ? std::to_string(h.ranks_per_node) : std::string("flat")) + "\n";
  if (h.reducing_switch) {
    desc += "  reducing switch " + h.switch_name + ": " + Us(m.switch_alpha_s) + " + bytes / " +
            Gbps(m.switch_beta_s_per_byte) + " (" + topo::FormatReduceCaps(h.switch_caps) + ")\n";
  }
  *out = std::move(tm);
  return Status::Ok();
}

Status ApplyTopologyHints(const TopologyHints& h, DataType dtype, sched::CollArgs* args) {
  if (args->nranks != h.nranks) {
    return InvalidArgument("topology hints: the call has " + std::to_string(args->nranks) +
                           " ranks, the model " + std::to_string(h.nranks));
  }
  args->ranks_per_node = h.ranks_per_node;
  args->has_reducing_switch = h.reducing_switch && IsValid(dtype) && IsValid(args->op) &&
                              h.switch_caps.Supports(dtype, args->op);
  return Status::Ok();
}

}  // namespace chorus::tune
