// What the tuner needs from the topology: for every pair of ranks, the alpha-beta cost of a
// message between them and the level of link it crosses; ranks grouped by level; and the switch
// domains that can reduce in the network. Independent of tune/: the tuner calls this.
//
// A pair's path is the Router's best path between the ranks' nodes (path.h). Its level is the
// outermost kind of link the path crosses; beta uses the path's bottleneck after each link type's
// efficiency (nominal -> usable bandwidth); alpha sums the links' latencies plus an optional
// per-level software overhead.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/types.h"
#include "topology/graph.h"

namespace chorus::topo {

enum class LinkLevel : uint8_t {
  kSameDevice = 0,    // both ranks on one device (GPU, or one NUMA node's memory)
  kSwitchDomain = 1,  // accelerator fabric only: NVLink / xGMI / UALink, direct or through switches
  kPcie = 2,          // PCIe, within one socket
  kSmp = 3,           // across sockets or NUMA nodes of one host
  kNetwork = 4,       // through a NIC and the network
};
constexpr int kNumLinkLevels = 5;
const char* Name(LinkLevel l);  // "device", "switch", "pcie", "smp", "network"

struct PairCost {
  double alpha_s = 0;          // seconds: one message's fixed cost
  double beta_s_per_byte = 0;  // seconds per byte: 1 / usable bandwidth
  double bw_gbps = 0;          // usable bandwidth, GB/s
  LinkLevel level = LinkLevel::kSameDevice;
  bool switch_reduce = false;  // the path crosses a switch that can reduce
  int hops = 0;
};

struct LinkCostOptions {
  // Usable fraction of nominal bandwidth per link type (index: LinkType). Defaults: NCCL's model
  // and published measurements (docs/topology.md): PCIe 48/63, NVLink 370/450, xGMI 48/64,
  // UALink 0.93 (claimed); memory, SMP and network assumed.
  double efficiency[kNumLinkTypes] = {1.0, 0.8, 0.76, 0.82, 0.75, 0.93, 0.92};
  // Memory bandwidth (reads + writes) of a device whose node does not say (detected CPUs):
  // twice the 16.5 GB/s single-thread memcpy measured on the CI machine.
  double default_mem_bw_gbps = 33;
  // The same for an accelerator whose node does not say (assumed: an HBM2e-class device).
  double default_accel_mem_bw_gbps = 1500;
  // Software cost per message by level, added to alpha (microseconds); 0: hardware only.
  double overhead_us[kNumLinkLevels] = {};
};

// Ranks attached to one reducing switch (or switch group).
struct ReducingDomain {
  std::string name;  // the switch group, or the switch's id
  ReduceCaps caps;
  std::vector<Rank> ranks;
};

class LinkCosts {
 public:
  // `rank_node[r]` is the node of rank r's device (an accelerator, or a NUMA node / CPU for host
  // ranks). Fails when a node id is invalid or two ranks cannot reach each other.
  static Status Compute(const Graph& g, const std::vector<NodeId>& rank_node, const LinkCostOptions& opts,
                        LinkCosts* out);

  int nranks() const { return static_cast<int>(rank_slot_.size()); }
  NodeId node_of(Rank r) const { return slot_node_[static_cast<size_t>(rank_slot_[static_cast<size_t>(r)])]; }
  // a == b gives a zero-cost kSameDevice pair.
  const PairCost& Pair(Rank a, Rank b) const;

  // Connected components of "pair level <= level": at kSwitchDomain, the ranks of each NVLink /
  // xGMI / UALink domain; at kSmp, each host. Groups ordered by their smallest rank.
  std::vector<std::vector<Rank>> Groups(LinkLevel level) const;
  // Ranks whose devices are on the same host node (a rank on a node with no host is alone).
  std::vector<std::vector<Rank>> Hosts() const;
  const std::vector<ReducingDomain>& reducing_domains() const { return reducing_; }
  LinkLevel worst_level() const { return worst_; }

  // Per-level counts of rank pairs and the cheapest / dearest pair at each level, for logs.
  std::string Summary() const;

 private:
  std::vector<int> rank_slot_;  // rank -> index of its distinct node
  std::vector<NodeId> slot_node_;
  std::vector<PairCost> slot_cost_;  // slots x slots
  std::vector<NodeId> rank_host_;
  std::vector<ReducingDomain> reducing_;
  LinkLevel worst_ = LinkLevel::kSameDevice;
  PairCost self_;
};

// Where ranks go on a topology: one (or `ranks_per_device`) per accelerator, in host then
// device-index order; or on the CPU cores of one host, filling its NUMA nodes in order (as many
// ranks as each has cores, then round-robin when oversubscribed).
enum class PlaceOn { kAccelerators, kHostCores };
struct PlaceOptions {
  PlaceOn on = PlaceOn::kAccelerators;
  int ranks_per_device = 1;  // kAccelerators
  NodeId host = kNoNode;     // kHostCores: which host; kNoNode: the first one
};
Status PlaceRanks(const Graph& g, int nranks, const PlaceOptions& opts, std::vector<NodeId>* rank_node);

// The node of device `index` of `kind` on `host` (GPU n, NIC n, NUMA node with OS index n);
// kNoNode if none.
NodeId FindDevice(const Graph& g, NodeId host, NodeKind kind, int index);
// The node on `host` whose PCI bus id is `bus_id` ("0000:17:00.0", "00000000:17:00.0" as
// NVML and CUDA write it, or "17:00.0"; any case): how a CUDA / HIP device, whose index depends on
// CUDA_VISIBLE_DEVICES, finds its node. kNoNode if none or `bus_id` does not parse.
NodeId FindDeviceByPci(const Graph& g, NodeId host, std::string_view bus_id);

}  // namespace chorus::topo
