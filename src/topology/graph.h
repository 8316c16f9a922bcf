// The machine as a graph: nodes (hosts, CPU packages, NUMA nodes, accelerators, NICs, switches)
// and the links between them. Detection (detect.h), XML files (xml.h) and the bundled machine
// builders (machines.h) all produce a Graph; path queries (path.h) and the tuner's link costs
// (link_costs.h) read it. docs/topology.md describes the model.
//
// Conventions:
// - Links are full duplex: `bw_gbps` is the bandwidth in EACH direction (GB/s = 1e9 bytes/s).
// - A link that folds `count` parallel physical links carries their summed bandwidth.
// - Switches that share a non-empty `group` are parallel planes of one logical switch (the four
//   NVSwitch chips of an HGX board, the spines of a fat tree): traffic spreads over all of them,
//   so path queries treat the group as one switch whose links are the members' links summed.
// - A node belongs to at most one host (`host`); switches outside any machine have none.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace chorus::topo {

using NodeId = int;
using LinkId = int;
constexpr NodeId kNoNode = -1;

enum class NodeKind : uint8_t {
  kHost,         // one machine (one OS instance); a container: other nodes name it as their host
  kCpu,          // a CPU package (socket); also the PCIe root complex of its devices
  kNuma,         // a NUMA node: memory
  kGpu,          // an accelerator (GPU or any other device that runs ranks)
  kNic,          // a network adapter
  kPcieSwitch,   // a PCIe switch (or a bridge we could not collapse)
  kAccelSwitch,  // an accelerator-fabric switch: NVSwitch, UALink switch
  kNetSwitch,    // a network switch (InfiniBand / Ethernet)
};
constexpr int kNumNodeKinds = 8;

enum class LinkType : uint8_t {
  kMemory,  // CPU package <-> its NUMA node's memory
  kSmp,     // CPU package <-> CPU package (UPI, AMD Infinity Fabric between sockets)
  kPcie,
  kNvlink,  // NVLink and NVLink-C2C
  kXgmi,    // AMD Infinity Fabric between accelerators
  kUalink,
  kNetwork,  // NIC <-> network switch, switch <-> switch
};
constexpr int kNumLinkTypes = 7;

// XML / text spellings: "host", "cpu", "numa", "gpu", "nic", "pcie-switch", "accel-switch",
// "net-switch"; "mem", "smp", "pcie", "nvlink", "xgmi", "ualink", "net".
const char* Name(NodeKind k);
const char* Name(LinkType t);
bool ParseNodeKind(std::string_view s, NodeKind* out);
bool ParseLinkType(std::string_view s, LinkType* out);

// True for the kinds that carry traffic between other nodes. Accelerators, NUMA nodes and hosts
// are endpoints only: a path never passes through them.
bool IsForwarding(NodeKind k);
bool IsSwitch(NodeKind k);  // PCIe, accelerator and network switches
// True for the link types of an accelerator fabric (NVLink, xGMI, UALink).
bool IsAccelFabric(LinkType t);

// What an in-network reduction switch can reduce: for each op, a bit mask over DataType.
struct ReduceCaps {
  uint32_t types[kNumReduceOps] = {};

  bool any() const;
  bool Supports(DataType t, ReduceOp op) const;
  void Add(ReduceOp op, DataType t);
  bool operator==(const ReduceCaps&) const = default;
};
// "sum:float16,bfloat16;max:int32" <-> ReduceCaps. Parse fails (with a message) on unknown names.
std::string FormatReduceCaps(const ReduceCaps& caps);
Status ParseReduceCaps(std::string_view text, ReduceCaps* out);

struct Node {
  NodeKind kind = NodeKind::kCpu;
  std::string id;         // unique in the graph: "gpu3", "n2.nic0"
  std::string name;       // what the hardware calls itself ("NVIDIA H100 80GB HBM3", "mlx5_0")
  NodeId host = kNoNode;  // the kHost node this belongs to
  int index = -1;         // device ordinal on its host (GPU n, NIC n) or OS index (package, NUMA)
  int numa = -1;          // NUMA affinity: OS index of the nearest NUMA node; -1 unknown
  uint64_t memory = 0;    // bytes (NUMA node, accelerator); 0 unknown
  int cores = 0;          // physical cores (CPU package, NUMA node, host); 0 unknown
  double bw_gbps = 0;     // GB/s; 0 unknown. NUMA node, accelerator: memory bandwidth (data
                          // sheet: reads + writes). NIC: port bandwidth per direction.
  std::string group;      // switches: parallel planes of one logical switch (see above)
  std::string pci;        // PCI bus id "0000:17:00.0"; empty if none / unknown
  std::string hostid;     // kHost only: identity used to decide which ranks share a machine
  ReduceCaps reduce;      // switches: in-network reduction support

  bool operator==(const Node&) const = default;
};

struct Link {
  NodeId a = kNoNode;
  NodeId b = kNoNode;
  LinkType type = LinkType::kPcie;
  double bw_gbps = 0;     // per direction
  double latency_us = 0;  // one way, hardware only
  int count = 1;          // parallel physical links folded into this one
  int pcie_gen = 0;       // PCIe only: generation (1..7); 0 unknown
  int pcie_width = 0;     // PCIe only: lanes; 0 unknown
  int version = 0;        // NVLink / xGMI / UALink generation; 0 unknown
  int distance = 0;       // SMP / memory: ACPI SLIT distance (10 = local); 0 unknown

  NodeId Other(NodeId n) const { return n == a ? b : a; }
  bool operator==(const Link&) const = default;
};

class Graph {
 public:
  std::string name;  // e.g. "dgx-h100"; free text

  // Appends a node / link and returns its id. Nothing is checked here: Validate() does.
  NodeId AddNode(Node node);
  LinkId AddLink(const Link& link);

  int num_nodes() const { return static_cast<int>(nodes_.size()); }
  int num_links() const { return static_cast<int>(links_.size()); }
  const std::vector<Node>& nodes() const { return nodes_; }
  const std::vector<Link>& links() const { return links_; }
  const Node& node(NodeId id) const { return nodes_[static_cast<size_t>(id)]; }
  Node& mutable_node(NodeId id) { return nodes_[static_cast<size_t>(id)]; }
  const Link& link(LinkId id) const { return links_[static_cast<size_t>(id)]; }
  // Links touching `id`, in the order they were added.
  const std::vector<LinkId>& links_of(NodeId id) const { return adjacency_[static_cast<size_t>(id)]; }

  // The node whose `id` string is `id`; kNoNode if none.
  NodeId Find(std::string_view id) const;
  std::vector<NodeId> NodesOfKind(NodeKind kind) const;
  // Nodes of `kind` whose host is `host` (any host when `host` is kNoNode), in id order.
  std::vector<NodeId> NodesOfKind(NodeKind kind, NodeId host) const;

  // Checks the invariants every consumer relies on: unique non-empty ids, links between two
  // distinct existing nodes, hosts that are kHost nodes, finite positive bandwidths, finite
  // non-negative latencies, groups only on switches. The message names the offending item.
  Status Validate() const;

  bool operator==(const Graph& o) const { return name == o.name && nodes_ == o.nodes_ && links_ == o.links_; }

 private:
  std::vector<Node> nodes_;
  std::vector<Link> links_;
  std::vector<std::vector<LinkId>> adjacency_;
  std::unordered_map<std::string, NodeId> by_id_;
};

// A one-line description of a node ("gpu3 (gpu, NVIDIA H100, host dgx0, index 3, numa 0)") and
// of a link ("gpu0 <-> nvs0 nvlink 125 GB/s 0.3 us x5"), for logs and chorus-topo.
std::string Describe(const Graph& g, NodeId n);
std::string Describe(const Graph& g, const Link& l);
// The whole graph as indented text (hosts, their nodes, then links), for chorus-topo.
std::string ToText(const Graph& g);

}  // namespace chorus::topo
