#include "topology/detect.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <mutex>

#include "core/env.h"
#include "core/log.h"
#include "topology/detect_internal.h"
#include "topology/xml.h"

namespace chorus::topo {

namespace detail {

std::string PciBusId(unsigned domain, unsigned bus, unsigned dev, unsigned func) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04x:%02x:%02x.%x", domain & 0xffffu, bus & 0xffu, dev & 0x1fu,
                func & 0x7u);
  return buf;
}

NodeId FindByPci(const Graph& g, NodeId host, const std::string& bus_id) {
  for (NodeId n = 0; n < g.num_nodes(); ++n) {
    if (g.node(n).host == host && g.node(n).pci == bus_id) return n;
  }
  return kNoNode;
}

std::string FreshId(const Graph& g, const std::string& base) {
  for (int i = 0;; ++i) {
    std::string id = base + std::to_string(i);
    if (g.Find(id) == kNoNode) return id;
  }
}

NodeId FirstCpu(Graph* g, NodeId host) {
  std::vector<NodeId> cpus = g->NodesOfKind(NodeKind::kCpu, host);
  if (!cpus.empty()) return cpus.front();
  Node n;
  n.kind = NodeKind::kCpu;
  n.id = FreshId(*g, "cpu");
  n.host = host;
  n.index = 0;
  return g->AddNode(std::move(n));
}

}  // namespace detail

std::string HostId() {
  std::string env = EnvString("CHORUS_HOSTID");
  if (!env.empty()) return env;
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) std::snprintf(name, sizeof(name), "unknown");
  std::string id = name;
  std::ifstream boot("/proc/sys/kernel/random/boot_id");
  std::string boot_id;
  if (boot && std::getline(boot, boot_id) && !boot_id.empty()) {
    id += ":" + boot_id;
  } else {
    CHORUS_INFO(kTopo, "no boot_id: host identity is the host name '%s' alone", name);
  }
  return id;
}

Graph Detect(const DetectOptions& opts) {
  Graph g;
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) std::snprintf(name, sizeof(name), "localhost");
  g.name = name;
  Node h;
  h.kind = NodeKind::kHost;
  h.id = "h0";
  h.name = name;
  h.hostid = opts.hostid.empty() ? HostId() : opts.hostid;
  NodeId host = g.AddNode(std::move(h));

  bool have = false;
  if (opts.use_hwloc) have = detail::DetectHwloc(opts, &g, host);
  if (!have) detail::DetectSysconf(&g, host);
  if (opts.io && opts.hwloc_xml.empty() && !g.NodesOfKind(NodeKind::kNic).empty()) {
    detail::ApplyOfiNics(detail::ProbeOfiNics(), &g);
  }
  if (opts.probe_nvml) detail::ProbeNvml(&g, host);
  if (opts.probe_rocm) detail::ProbeRocmSmi(&g, host);

  Status s = g.Validate();
  if (!s.ok()) {
    // A bug in a probe must not take the communicator down: keep what sysconf sees.
    CHORUS_WARN(kTopo, "detected topology is inconsistent (%s); using the minimal one", s.message().c_str());
    Graph minimal;
    minimal.name = g.name;
    Node copy = g.node(host);
    NodeId mh = minimal.AddNode(std::move(copy));
    detail::DetectSysconf(&minimal, mh);
    return minimal;
  }
  CHORUS_INFO(kTopo, "detected %s: %zu CPU packages, %zu NUMA nodes, %zu accelerators, %zu NICs, %d links",
              name, g.NodesOfKind(NodeKind::kCpu).size(), g.NodesOfKind(NodeKind::kNuma).size(),
              g.NodesOfKind(NodeKind::kGpu).size(), g.NodesOfKind(NodeKind::kNic).size(), g.num_links());
  return g;
}

namespace {
// %h -> host name, %p -> process id (several ranks may dump at once).
std::string ExpandPath(const std::string& pattern) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '%' && i + 1 < pattern.size()) {
      char c = pattern[i + 1];
      if (c == 'h') {
        char name[256] = {};
        if (gethostname(name, sizeof(name) - 1) != 0) std::snprintf(name, sizeof(name), "host");
        out += name;
        ++i;
        continue;
      }
      if (c == 'p') {
        out += std::to_string(getpid());
        ++i;
        continue;
      }
    }
    out += pattern[i];
  }
  return out;
}
}  // namespace

Status LoadTopology(Graph* out, bool devices) {
  std::string file = EnvString("CHORUS_TOPO_FILE");
  std::string dump = EnvString("CHORUS_TOPO_DUMP_FILE");
  if (!dump.empty()) devices = true;
  Graph g;
  if (!file.empty()) {
    CHORUS_RETURN_IF_ERROR(ReadXmlFile(file, &g));
    CHORUS_INFO(kTopo, "topology from CHORUS_TOPO_FILE=%s: %d nodes, %d links", file.c_str(), g.num_nodes(),
                g.num_links());
  } else {
    // Detection takes tens of milliseconds and the machine does not change under a process:
    // every communicator after the first reuses it (keyed by the host identity, which tests and
    // containers may change).
    static std::mutex mu;
    static std::string cached_for[2];
    static Graph cached[2];
    const std::string me = HostId();
    const int k = devices ? 1 : 0;
    std::lock_guard<std::mutex> lock(mu);
    if (cached_for[k] != me || cached[k].num_nodes() == 0) {
      DetectOptions o;
      o.io = devices;
      o.probe_nvml = devices;
      o.probe_rocm = devices;
      cached[k] = Detect(o);
      cached_for[k] = me;
    }
    g = cached[k];
  }
  if (!dump.empty()) {
    std::string path = ExpandPath(dump);
    // Write then rename: ranks dumping to one path never leave a torn file.
    std::string tmp = path + ".tmp." + std::to_string(getpid());
    Status s = WriteXmlFile(g, tmp);
    if (s.ok() && std::rename(tmp.c_str(), path.c_str()) != 0) {
      s = SystemError(ErrnoMessage("cannot rename " + tmp + " to " + path, errno));
    }
    if (!s.ok()) {
      std::remove(tmp.c_str());
      CHORUS_WARN(kTopo, "CHORUS_TOPO_DUMP_FILE: %s", s.message().c_str());
    } else {
      CHORUS_INFO(kTopo, "topology written to %s", path.c_str());
    }
  }
  *out = std::move(g);
  return Status::Ok();
}

}  // namespace chorus::topo
