// Where a host rank runs on the topology graph: the NUMA node (or, lacking one, the CPU package)
// of the cores this process may run on. The communicator calls this on every rank after all
// ranks have parsed the same graph, then all-gathers the answers (core/comm_topology.cc).
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "topology/graph.h"

namespace chorus::topo {

// The OS index of the NUMA node this process runs on: the node holding every CPU of its
// affinity mask when there is one, else the node of the CPU it runs on now (an unbound process
// can migrate: this is a guess). -1 when the system does not say (no NUMA sysfs).
int CurrentNumaNode();

// "0-3,8,10-11" -> {0, 1, 2, 3, 8, 10, 11}; false on a malformed list.
bool ParseCpuList(const std::string& text, std::vector<int>* cpus);

// The node of `g` a host rank runs on:
// - CHORUS_TOPO_NODE, when set, names it (a node id of the graph: a NUMA node, CPU package or
//   accelerator; anything else, or an unknown id, is an error);
// - else its host is the host node whose hostid is `hostid`, or the first host with CPUs;
//   there, the NUMA node whose OS index is `numa` (CurrentNumaNode()), else the host's first
//   NUMA node (by index), else its first CPU package.
// `how` says which rule decided, for logs.
Status LocateHostRank(const Graph& g, const std::string& hostid, int numa, NodeId* out, std::string* how);

}  // namespace chorus::topo
