// xGMI links through ROCm SMI, loaded at run time (librocm_smi64.so ships with ROCm; no header
// needed: the few types below follow rocm_smi.h).
#include <dlfcn.h>

#include <cstdint>
#include <string>

#include "core/log.h"
#include "topology/detect_internal.h"
#include "topology/figures.h"

namespace chorus::topo::detail {

namespace {

using rsmi_status_t = int;
constexpr rsmi_status_t kRsmiSuccess = 0;
constexpr int kRsmiIolinkXgmi = 2;  // RSMI_IOLINK_TYPE_XGMI
constexpr int kRsmiMemVram = 0;     // RSMI_MEM_TYPE_VRAM

struct Rsmi {
  void* lib = nullptr;
  rsmi_status_t (*Init)(uint64_t) = nullptr;
  rsmi_status_t (*Shutdown)() = nullptr;
  rsmi_status_t (*NumDevices)(uint32_t*) = nullptr;
  rsmi_status_t (*PciId)(uint32_t, uint64_t*) = nullptr;
  rsmi_status_t (*Name)(uint32_t, char*, size_t) = nullptr;       // optional
  rsmi_status_t (*MemTotal)(uint32_t, int, uint64_t*) = nullptr;  // optional
  rsmi_status_t (*LinkType)(uint32_t, uint32_t, uint64_t*, int*) = nullptr;
  rsmi_status_t (*Bandwidth)(uint32_t, uint32_t, uint64_t*, uint64_t*) = nullptr;  // optional

  ~Rsmi() {
    if (lib != nullptr) dlclose(lib);
  }
  template <typename F>
  bool Load(F* fn, const char* name) {
    *fn = reinterpret_cast<F>(dlsym(lib, name));
    return *fn != nullptr;
  }
  std::string first_error;
  bool Open() {
    for (const char* name : {"librocm_smi64.so.1", "librocm_smi64.so", "librocm_smi64.so.7",
                             "librocm_smi64.so.6", "librocm_smi64.so.5"}) {
      lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
      if (lib != nullptr) break;
      const char* err = dlerror();
      if (first_error.empty() && err != nullptr) first_error = err;
    }
    if (lib == nullptr) return false;
    Load(&Name, "rsmi_dev_name_get");
    Load(&MemTotal, "rsmi_dev_memory_total_get");
    Load(&Bandwidth, "rsmi_minmax_bandwidth_get");
    return Load(&Init, "rsmi_init") && Load(&Shutdown, "rsmi_shut_down") &&
           Load(&NumDevices, "rsmi_num_monitor_devices") && Load(&PciId, "rsmi_dev_pci_id_get") &&
           Load(&LinkType, "rsmi_topo_get_link_type");
  }
};

// BDFID = (domain << 32) | (bus << 8) | (device << 3) | function
std::string BusId(uint64_t bdfid) {
  return PciBusId(static_cast<unsigned>((bdfid >> 32) & 0xffffffffu),
                  static_cast<unsigned>((bdfid >> 8) & 0xffu), static_cast<unsigned>((bdfid >> 3) & 0x1fu),
                  static_cast<unsigned>(bdfid & 0x7u));
}

}  // namespace

void ProbeRocmSmi(Graph* g, NodeId host) {
  Rsmi rs;
  if (!rs.Open()) {
    const char* err = rs.lib == nullptr ? rs.first_error.c_str() : dlerror();
    CHORUS_INFO(kTopo, "ROCm SMI not found (%s): no xGMI information",
                err != nullptr ? err : "missing symbols");
    return;
  }
  if (rs.Init(0) != kRsmiSuccess) {
    CHORUS_INFO(kTopo, "ROCm SMI present but rsmi_init failed: no xGMI information");
    return;
  }
  uint32_t count = 0;
  if (rs.NumDevices(&count) != kRsmiSuccess) count = 0;
  std::vector<NodeId> node(count, kNoNode);
  for (uint32_t i = 0; i < count; ++i) {
    uint64_t bdf = 0;
    if (rs.PciId(i, &bdf) != kRsmiSuccess) continue;
    std::string bus = BusId(bdf);
    NodeId n = FindByPci(*g, host, bus);
    if (n == kNoNode) {
      Node gpu;
      gpu.kind = NodeKind::kGpu;
      gpu.id = FreshId(*g, "gpu");
      gpu.host = host;
      gpu.pci = bus;
      n = g->AddNode(std::move(gpu));
      Link l;
      l.a = n;
      l.b = FirstCpu(g, host);
      l.type = LinkType::kPcie;
      l.bw_gbps = fig::PcieGbps(3, 16);
      l.latency_us = fig::kPcieLatencyUs;
      g->AddLink(l);
      CHORUS_INFO(kTopo, "ROCm SMI GPU %u (%s) unseen by hwloc: PCIe Gen3 x16 to the CPU assumed", i,
                  bus.c_str());
    }
    node[i] = n;
    Node& gn = g->mutable_node(n);
    gn.index = static_cast<int>(i);
    char name[128] = {};
    if (rs.Name != nullptr && rs.Name(i, name, sizeof(name)) == kRsmiSuccess && name[0] != '\0')
      gn.name = name;
    uint64_t total = 0;
    if (rs.MemTotal != nullptr && rs.MemTotal(i, kRsmiMemVram, &total) == kRsmiSuccess) gn.memory = total;
  }
  int links = 0;
  for (uint32_t i = 0; i < count; ++i) {
    for (uint32_t j = i + 1; j < count; ++j) {
      if (node[i] == kNoNode || node[j] == kNoNode) continue;
      uint64_t hops = 0;
      int type = 0;
      if (rs.LinkType(i, j, &hops, &type) != kRsmiSuccess || type != kRsmiIolinkXgmi || hops != 1) continue;
      Link l;
      l.a = node[i];
      l.b = node[j];
      l.type = LinkType::kXgmi;
      l.bw_gbps = fig::kXgmiLinkGbps;
      uint64_t min_mbs = 0, max_mbs = 0;  // MB/s
      if (rs.Bandwidth != nullptr && rs.Bandwidth(i, j, &min_mbs, &max_mbs) == kRsmiSuccess && max_mbs > 0) {
        l.bw_gbps = static_cast<double>(max_mbs) / 1000.0;
      }
      l.latency_us = fig::kXgmiLatencyUs;
      g->AddLink(l);
      ++links;
    }
  }
  CHORUS_INFO(kTopo, "ROCm SMI: %u GPUs, %d xGMI links", count, links);
  rs.Shutdown();
}

}  // namespace chorus::topo::detail
