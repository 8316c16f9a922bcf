// Hardware figures used by the machine builders (machines.cc) and by detection for what it can
// name but not measure. docs/topology.md gives the source of each; "assumed" marks our guesses.
// Bandwidths are GB/s (1e9 bytes/s) per direction; latencies are one-way microseconds.
#pragma once

#include "topology/graph.h"

namespace chorus::topo::fig {

// PCIe bandwidth per lane after line encoding (8b/10b for Gen 1-2, 128b/130b for Gen 3-5, FLIT
// for Gen 6-7): Gen5 x16 = 63 GB/s. 0 for an unknown generation.
double PcieLaneGbps(int gen);
inline double PcieGbps(int gen, int width) { return PcieLaneGbps(gen) * width; }
// Per PCIe link (device <-> switch, switch <-> root port): a GPU -> switch -> GPU path sums to
// NCCL's 1 us PCIe hop.
constexpr double kPcieLatencyUs = 0.5;

// NVLink: 25 GB/s per link for NVLink 2-4 (V100, A100, H100: 18 x 25 = 450), 50 for NVLink 5.
double NvlinkLinkGbps(int version);
// Per GPU <-> NVSwitch link: GPU -> switch -> GPU sums to NCCL's 0.6 us NVLink hop.
constexpr double kNvlinkLatencyUs = 0.3;
// NVLink-C2C (Grace <-> Blackwell): 900 GB/s bidirectional.
constexpr double kNvlinkC2cGbps = 450;

// AMD MI300X xGMI: one 64 GB/s link to each of 7 peers. Latency assumed (one NVLink hop).
constexpr double kXgmiLinkGbps = 64;
constexpr double kXgmiLatencyUs = 0.6;

// UALink 200G x4 port: 100 GB/s raw. Latency per link: half of a 150-250 ns switch plus wire.
constexpr double kUalinkPortGbps = 100;
constexpr double kUalinkLatencyUs = 0.1;

// 400 Gb/s NIC (InfiniBand NDR, RoCE 400G) = 50 GB/s. NIC <-> switch latency assumed so that a
// GPU -> NIC -> switch -> NIC -> GPU path sums to ~3 us, within NCCL's 2.7-14 us network step.
constexpr double kNic400Gbps = 50;
constexpr double kNetLatencyUs = 1.0;

// CPU side (assumed): memory and socket-to-socket latencies.
constexpr double kMemLatencyUs = 0.1;
constexpr double kSmpLatencyUs = 0.1;

// What detection cannot see (assumed; a topology file replaces them):
constexpr double kDefaultMemGbps = 50;    // CPU package <-> NUMA node
constexpr double kDefaultSmpGbps = 64;    // socket <-> socket
constexpr double kDefaultNicGbps = 12.5;  // NIC whose speed sysfs does not report (100 Gb/s)
constexpr int kDefaultNumaDistance = 10;

// NVLink SHARP on NVSwitch with sm_90+ GPUs (PTX ISA, multimem.ld_reduce): add on 32/64-bit
// integers, f16, bf16, f32, f64; min / max on those integers, f16, bf16.
ReduceCaps NvlsReduceCaps();

}  // namespace chorus::topo::fig
