#include "topology/locate.h"

#include <dirent.h>
#include <sched.h>

#include <algorithm>
#include <fstream>
#include <map>

#include "core/env.h"
#include "topology/link_costs.h"

namespace chorus::topo {

bool ParseCpuList(const std::string& text, std::vector<int>* cpus) {
  cpus->clear();
  std::string in = text;
  while (!in.empty() && (in.back() == '\n' || in.back() == ' ')) in.pop_back();
  size_t pos = 0;
  auto num = [&](int* v) {
    const size_t start = pos;
    long n = 0;
    while (pos < in.size() && in[pos] >= '0' && in[pos] <= '9' && pos - start < 7) {
      n = n * 10 + (in[pos] - '0');
      ++pos;
    }
    *v = static_cast<int>(n);
    return pos > start;
  };
  while (pos < in.size()) {
    int lo = 0, hi = 0;
    if (!num(&lo)) return false;
    hi = lo;
    if (pos < in.size() && in[pos] == '-') {
      ++pos;
      if (!num(&hi) || hi < lo) return false;
    }
    for (int c = lo; c <= hi; ++c) cpus->push_back(c);
    if (pos < in.size()) {
      if (in[pos] != ',' || pos + 1 == in.size()) return false;
      ++pos;
    }
  }
  return true;
}

int CurrentNumaNode() {
  // CPU -> NUMA node, from /sys/devices/system/node/node<N>/cpulist.
  std::map<int, int> node_of_cpu;
  if (DIR* d = opendir("/sys/devices/system/node")) {
    while (dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name.rfind("node", 0) != 0 || name.size() == 4 ||
          name.find_first_not_of("0123456789", 4) != std::string::npos) {
        continue;
      }
      const int node = std::atoi(name.c_str() + 4);
      std::ifstream f("/sys/devices/system/node/" + name + "/cpulist");
      std::string list;
      std::vector<int> cpus;
      if (f && std::getline(f, list) && ParseCpuList(list, &cpus)) {
        for (int c : cpus) node_of_cpu[c] = node;
      }
    }
    closedir(d);
  }
  if (node_of_cpu.empty()) return -1;
  cpu_set_t mask;
  CPU_ZERO(&mask);
  int bound = -1;
  if (sched_getaffinity(0, sizeof(mask), &mask) == 0) {
    for (const auto& [cpu, node] : node_of_cpu) {
      if (cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &mask)) continue;
      if (bound == -1) bound = node;
      else if (bound != node) bound = -2;
    }
  }
  if (bound >= 0) return bound;
  const int cpu = sched_getcpu();
  auto it = node_of_cpu.find(cpu);
  return it != node_of_cpu.end() ? it->second : -1;
}

Status LocateHostRank(const Graph& g, const std::string& hostid, int numa, NodeId* out, std::string* how) {
  const std::string named = EnvString("CHORUS_TOPO_NODE");
  if (!named.empty()) {
    NodeId n = g.Find(named);
    if (n == kNoNode) return InvalidArgument("CHORUS_TOPO_NODE='" + named + "' is not a node of the topology");
    const NodeKind k = g.node(n).kind;
    if (k != NodeKind::kNuma && k != NodeKind::kCpu && k != NodeKind::kGpu) {
      return InvalidArgument("CHORUS_TOPO_NODE='" + named + "' is a " + Name(k) +
                             " node; ranks run on a NUMA node, CPU package or accelerator");
    }
    *out = n;
    *how = "CHORUS_TOPO_NODE";
    return Status::Ok();
  }
  auto has_cpus = [&](NodeId h) {
    return !g.NodesOfKind(NodeKind::kNuma, h).empty() || !g.NodesOfKind(NodeKind::kCpu, h).empty();
  };
  NodeId host = kNoNode;
  for (NodeId h : g.NodesOfKind(NodeKind::kHost)) {
    if (!hostid.empty() && g.node(h).hostid == hostid && has_cpus(h)) {
      host = h;
      *how = "host '" + g.node(h).id + "' by host id";
      break;
    }
  }
  if (host == kNoNode) {
    for (NodeId h : g.NodesOfKind(NodeKind::kHost)) {
      if (has_cpus(h)) {
        host = h;
        *how = "first host with CPUs '" + g.node(h).id + "'";
        break;
      }
    }
  }
  if (host == kNoNode) return InvalidArgument("topology has no host with a CPU or NUMA node");
  std::vector<NodeId> mems = g.NodesOfKind(NodeKind::kNuma, host);
  if (numa >= 0) {
    NodeId n = FindDevice(g, host, NodeKind::kNuma, numa);
    if (n != kNoNode) {
      *out = n;
      *how += ", NUMA node " + std::to_string(numa) + " (where this process runs)";
      return Status::Ok();
    }
  }
  if (mems.empty()) mems = g.NodesOfKind(NodeKind::kCpu, host);
  std::stable_sort(mems.begin(), mems.end(), [&](NodeId a, NodeId b) { return g.node(a).index < g.node(b).index; });
  *out = mems.front();
  *how += ", its first " + std::string(Name(g.node(mems.front()).kind)) + " node" +
          (numa >= 0 ? " (NUMA node " + std::to_string(numa) + " is not in the topology)" : "");
  return Status::Ok();
}

}  // namespace chorus::topo
