// Machines we describe rather than detect: the graphs behind topologies/*.xml, for tests, the
// simulator and the tuner. Figures and their sources are listed in docs/topology.md; the bundled
// XML files are these graphs written by `chorus-topo --builtin NAME --xml FILE` (a test checks
// that they stay identical).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "topology/graph.h"

namespace chorus::topo {

// 2 x Xeon 8480C, 8 x H100 SXM5 on 4 NVSwitch chips (18 NVLink 4 links per GPU: 5/4/4/5),
// 8 x 400G NICs, 4 PCIe Gen5 switches (2 GPUs + 2 NICs each).
Graph MakeDgxH100();
// 18 compute trays (2 Grace + 4 B200 each, NVLink-C2C), 18 NVLink 5 switch chips in one group
// (one link from every GPU to every chip: 900 GB/s per direction per GPU), NVLS reduction.
Graph MakeGb200Nvl72();
// 2 x EPYC, 8 x MI300X in a full xGMI mesh (one 64 GB/s link per peer), 8 x 400G NICs.
Graph MakeMi300x8();
// `accelerators` (rounded up to a multiple of 64; 1024 in the bundled file), 8 per host, each
// with one UALink 200G x4 port on each of 4 planes; two switch levels (64 accelerators per leaf,
// 8 spines, non-blocking). The 4 planes are folded: one leaf node stands for 4 switch chips.
Graph MakeUalinkPod(int accelerators);
// 2 sockets joined by UPI, 8 PCIe Gen4 GPUs under 4 PCIe switches, 1 x 200G NIC per socket.
Graph MakePcie8Gpu2Socket();
// 2 sockets, one NUMA node each, one 100G NIC: the host path.
Graph MakeCpu2Socket();

struct FatTreeOptions {
  int nodes_per_leaf = 0;          // 0: every node on one leaf (per rail)
  bool rail_optimized = true;      // NIC r of every node goes to rail r's leaves
  int spines = 2;                  // spine switches (one group); used when there is more than one leaf
  double oversubscription = 1;     // leaf downlink / uplink bandwidth ratio (>= 1)
  double nic_latency_us = 1.0;     // NIC <-> leaf
  double uplink_latency_us = 0.5;  // leaf <-> spine
  ReduceCaps reduce;               // in-network reduction on leaves and spines (SHARP); none by default
};

// `nodes` copies of the one-host (or multi-host) graph `node` (ids prefixed "n<i>."), their NICs
// connected by a two-level fat tree. Fails when `node` has no NIC or the options are out of range.
Status MakeFatTree(const Graph& node, int nodes, const FatTreeOptions& opts, Graph* out);

// The bundled machines by file name (without ".xml"): "dgx-h100", "gb200-nvl72", "mi300x-8",
// "ualink-pod-1024", "pcie-8gpu-2socket", "cpu-2socket", "fat-tree-4x-dgx".
std::vector<std::string> BuiltinNames();
Status MakeBuiltin(std::string_view name, Graph* out);

}  // namespace chorus::topo
