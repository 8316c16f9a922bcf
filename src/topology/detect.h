// Building this host's topology graph at run time.
//
// Sources, in order: hwloc (packages, NUMA nodes and distances, PCI bridges and switches, GPUs,
// NICs) or, without hwloc, a minimal graph from sysconf; sysfs (PCIe generation and width, NIC
// speeds); NVML and ROCm SMI, loaded with dlopen when present (NVLink / NVSwitch and xGMI links,
// device names and memory). Detection never fails: what cannot be seen is logged (TOPO, INFO)
// and defaulted (figures.h).
#pragma once

#include <string>

#include "topology/graph.h"

namespace chorus::topo {

struct DetectOptions {
  bool use_hwloc = true;
  // Look for PCI devices (switches, accelerators, NICs) too. Without them hwloc loads in ~1 ms
  // rather than ~11 ms (CI VM): enough for ranks on CPU cores, which need packages and NUMA only.
  bool io = true;
  // Load this hwloc XML (lstopo --of xml; may carry fake GPUs and NICs) instead of looking at
  // the running machine; sysfs is not read then. Tests describe big machines this way.
  std::string hwloc_xml;
  bool probe_nvml = true;
  bool probe_rocm = true;
  // The host's identity; empty: HostId().
  std::string hostid;
};

// One host: a kHost node first, then its CPUs, NUMA nodes and devices.
Graph Detect(const DetectOptions& opts = {});

// The graph a communicator uses: the file named by CHORUS_TOPO_FILE (a bad file is an error
// naming the line) or Detect() (run once per process and HostId(); later calls copy its graph);
// then, if CHORUS_TOPO_DUMP_FILE names a path (%h: host name, %p: process id), writes it there
// (failure to write is a warning).
// `devices` false: the caller runs ranks on CPU cores only, so detection skips PCI devices and
// the NVML / ROCm probes (DetectOptions::io) unless CHORUS_TOPO_DUMP_FILE asks for the machine.
Status LoadTopology(Graph* out, bool devices = true);

// Which ranks share a machine: CHORUS_HOSTID if set, else "<hostname>:<boot_id>"
// (/proc/sys/kernel/random/boot_id; two containers on one machine share it).
std::string HostId();

}  // namespace chorus::topo
