// The tuner's LinkModel built from the topology graph: what the ranks of a communicator, placed on
// the graph's devices, pay per message, what they share, and what the tuner's topology hints
// (ranks_per_node, has_reducing_switch) are. The tuner then prices every schedule on it, so the
// choice per link level (switch offload in an NVSwitch domain, direct exchange on a mesh, ring
// across PCIe, hierarchical across hosts) follows from the machine, not from a table.
// docs/topology.md ("How the topology drives the tuner") gives the rules and their sources.
#pragma once

#include <string>
#include <vector>

#include "algorithms/schedule.h"
#include "core/status.h"
#include "core/types.h"
#include "topology/graph.h"
#include "topology/link_costs.h"
#include "tune/link_model.h"

namespace chorus::tune {

struct TopologyModelOptions {
  // Per-pair costs: link efficiencies, default memory bandwidths, per-level software overhead.
  topo::LinkCostOptions link_costs;
  // Per-message software cost of accelerator ranks, added to the path's hardware latency. 0: the
  // graph's latencies (NCCL-like per-hop figures) are the whole cost.
  double accel_overhead_us = 0;
  // A switch reduction (NVLS multimem.ld_reduce + multimem.st, SHARP) streams at this fraction of
  // the ranks' path bandwidth: 0.74 reproduces the ~480 GB/s NVLS all-reduce busbw measured on
  // 8 x H100 (ALGORITHMS.md) from their 369 GB/s usable NVLink.
  double switch_efficiency = 0.74;
  // ... and takes this many rank-to-rank latencies: the pull-reduce round trip (2), the
  // multicast store (1) and the completion flag (1).
  double switch_latencies = 4;
  // Host ranks: a message moves each byte through memory this often (the sender copies into the
  // shared segment: read + write; the receiver copies out: read + write).
  double host_memory_passes = 4;
  // Streaming grain of fused receive-and-forward steps (the transports' slot size), for ranks on
  // accelerators; ranks all on host cores use the calibrated host model's (the shm slot).
  double pipeline_bytes = 256 * 1024;
};

// What the tuner needs from the topology besides the LinkModel.
struct TopologyHints {
  int nranks = 0;
  // Ranks per host when the ranks span hosts, every host holds the same number and each host's
  // ranks are consecutive; 0 otherwise (one host, or an irregular placement).
  int ranks_per_node = 0;
  // Every rank reaches one reducing switch (group) directly: what it can reduce.
  bool reducing_switch = false;
  topo::ReduceCaps switch_caps;
  std::string switch_name;
};

struct TopologyModel {
  LinkModel model;
  TopologyHints hints;
  // One line per figure the model uses, for chorus-topo --plan and TUNE logs.
  std::string description;
};

// Builds the model for ranks placed on `rank_node` (rank r runs on node rank_node[r]: an
// accelerator, or a NUMA node / CPU package for host ranks; topo::PlaceRanks gives such a
// placement, detection gives the real one). Fails when a node is invalid or two ranks cannot
// reach each other.
//
// - link(a, b): the pair's best path (topo::LinkCosts): latency summed over its links (+ software
//   overhead), bandwidth at its bottleneck after each link type's efficiency. Host ranks also
//   pay the shm transport's calibrated per-message cost and rate (DefaultHostModel): one core
//   copies every message.
// - endpoint: accelerators: twice (full duplex) the summed usable bandwidth of the first hops
//   of a rank's best paths to the others (its ports: 18 NVLinks, 7 xGMI links, one PCIe link);
//   host ranks: the calibrated per-core figure.
// - domain: ranks of one host's memory (host ranks) or of one accelerator (several ranks on a
//   device) share its memory bandwidth; a host whose NUMA nodes give no bandwidth (detected
//   machines) gets the calibrated DefaultHostModel figure: ranks on one NUMA node of a detected
//   host get exactly DefaultHostModel's costs (the graph adds latency between NUMA nodes).
// - gamma / copy: accelerators stream 3 / 2 bytes of memory per byte reduced / copied; host
//   ranks use the calibrated scalar kernels.
// - switch costs: from the reducing switch every rank reaches, when there is one.
// Scalars of the LinkModel (endpoint, domain, gamma, copy) take the slowest rank's value.
Status ModelFromTopology(const topo::Graph& g, const std::vector<topo::NodeId>& rank_node,
                         const TopologyModelOptions& opts, TopologyModel* out);

// Sets the topology hints of a call of `dtype` elements: ranks_per_node, and
// has_reducing_switch when every rank reaches one reducing switch that can reduce this dtype
// with args->op. Fails when args->nranks is not the model's.
Status ApplyTopologyHints(const TopologyHints& hints, DataType dtype, sched::CollArgs* args);

}  // namespace chorus::tune
