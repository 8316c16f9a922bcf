// Shared by the detect_*.cc files; not for use outside src/topology.
#pragma once

#include <string>
#include <vector>

#include "topology/detect.h"
#include "topology/graph.h"

namespace chorus::topo::detail {

// Each adds to `g` under `host` (a kHost node already in `g`).
// hwloc: false when hwloc is not built in or cannot load (the caller falls back to sysconf).
bool DetectHwloc(const DetectOptions& opts, Graph* g, NodeId host);
void DetectSysconf(Graph* g, NodeId host);
void ProbeNvml(Graph* g, NodeId host);
void ProbeRocmSmi(Graph* g, NodeId host);

// "0000:17:00.0": lower-case, 4-digit domain (NVML writes 8 digits; we normalise).
std::string PciBusId(unsigned domain, unsigned bus, unsigned dev, unsigned func);
// The node on `host` whose pci attribute is `bus_id`; kNoNode if none.
NodeId FindByPci(const Graph& g, NodeId host, const std::string& bus_id);
// The first CPU package of `host`; creates one (no links) if there is none.
NodeId FirstCpu(Graph* g, NodeId host);
// A fresh id "<base><n>" not yet used in `g`.
std::string FreshId(const Graph& g, const std::string& base);

// sysfs, Linux only; zeros when unknown.
struct PcieLinkInfo {
  int gen = 0;
  int width = 0;
};
PcieLinkInfo ReadPcieLink(const std::string& bus_id);
// GB/s per direction of an InfiniBand device ("mlx5_0", port 1) or a network interface ("eth0").
double ReadIbRateGbps(const std::string& ib_device);
double ReadNetSpeedGbps(const std::string& ifname);

// A NIC as libfabric's providers report it (fi_getinfo): the device or domain name ("mlx5_0",
// "eth0"), the providers that drive it ("verbs;ofi_rxm,tcp;ofi_rxm"), its PCI address and link
// speed (GB/s per direction) where the provider gives them.
struct OfiNic {
  std::string name;
  std::string provider;
  std::string pci;
  double gbps = 0;
};
// Empty when libfabric is absent (dlopen) or offers nothing.
std::vector<OfiNic> ProbeOfiNics();
// Matches them to the graph's NICs (by PCI address or name) and fills in the speeds sysfs did not
// give; returns how many NICs matched.
int ApplyOfiNics(const std::vector<OfiNic>& nics, Graph* g);

}  // namespace chorus::topo::detail
