// One graph for a job that spans hosts: each rank detects its own host (Detect / LoadTopology),
// the ranks exchange the graphs (ToXml / ReadXmlString over the bootstrap), and JoinHosts merges
// them. Ranks whose graphs carry the same hostid share that host in the result.
#pragma once

#include <vector>

#include "topology/graph.h"

namespace chorus::topo {

struct JoinOptions {
  double net_latency_us = 1.0;  // NIC <-> the joining switch
};

// `per_rank[r]` is rank r's graph. Hosts are copied once each, in order of first appearance, with
// ids prefixed "m<k>." (k: the host's number in the result); graphs with no host node count as
// one host each. Every NIC is linked to one network switch "net" at its port speed; a host
// without a NIC gets one of unknown (default) speed on its first CPU, so that all hosts connect.
// A single host is returned without a switch. `host_of_rank[r]` is rank r's host node in `out`.
Status JoinHosts(const std::vector<Graph>& per_rank, const JoinOptions& opts, Graph* out,
                 std::vector<NodeId>* host_of_rank);

}  // namespace chorus::topo
