// The fallback when hwloc is absent or fails: one CPU package holding all online cores and one
// NUMA node holding all memory.
#include <unistd.h>

#include "core/log.h"
#include "topology/detect_internal.h"
#include "topology/figures.h"

namespace chorus::topo::detail {

void DetectSysconf(Graph* g, NodeId host) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  long pages = sysconf(_SC_PHYS_PAGES);
  long page = sysconf(_SC_PAGESIZE);
  Node cpu;
  cpu.kind = NodeKind::kCpu;
  cpu.id = "cpu0";
  cpu.host = host;
  cpu.index = 0;
  cpu.numa = 0;
  cpu.cores = cores > 0 ? static_cast<int>(cores) : 1;
  NodeId c = g->AddNode(cpu);
  Node numa;
  numa.kind = NodeKind::kNuma;
  numa.id = "numa0";
  numa.host = host;
  numa.index = 0;
  numa.numa = 0;
  numa.cores = cpu.cores;
  if (pages > 0 && page > 0) numa.memory = static_cast<uint64_t>(pages) * static_cast<uint64_t>(page);
  NodeId m = g->AddNode(numa);
  Link l;
  l.a = c;
  l.b = m;
  l.type = LinkType::kMemory;
  l.bw_gbps = fig::kDefaultMemGbps;
  l.latency_us = fig::kMemLatencyUs;
  l.distance = fig::kDefaultNumaDistance;
  g->AddLink(l);
  CHORUS_INFO(kTopo, "minimal topology from sysconf: %d cores, %llu bytes of memory", cpu.cores,
              static_cast<unsigned long long>(numa.memory));
}

}  // namespace chorus::topo::detail
