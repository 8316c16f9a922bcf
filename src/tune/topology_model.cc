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
      // Ranks sharing a device share its ports; sends and receives use both directions.
      if (port > 0) endpoint_beta = std::max(endpoint_beta, per_device[d] / (2 * port * 1e9));
    }
  }
  m.endpoint_beta_s_per_byte = endpoint_beta;
  m.gamma_s_per_byte = gamma;
  m.copy_s_per_byte = copy;
  m.pipeline_bytes = o.pipeline_bytes;

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
