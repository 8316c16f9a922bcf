// NVLink and NVSwitch through NVML, loaded at run time (libnvidia-ml.so.1 ships with the driver;
// we need no NVML header: the few types below follow NVML's documented ABI).
#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "core/log.h"
#include "topology/detect_internal.h"
#include "topology/figures.h"

namespace chorus::topo::detail {

namespace {

using nvmlReturn_t = int;
using nvmlDevice_t = struct NvmlDeviceOpaque*;
constexpr nvmlReturn_t kNvmlSuccess = 0;
constexpr unsigned kNvmlMaxLinks = 18;  // NVML_NVLINK_MAX_LINKS
constexpr int kNvmlRemoteSwitch = 2;    // NVML_NVLINK_DEVICE_TYPE_SWITCH
constexpr int kNvmlRemoteGpu = 0;       // NVML_NVLINK_DEVICE_TYPE_GPU
constexpr int kNvmlClockMem = 2;        // NVML_CLOCK_MEM

struct NvmlPciInfo {  // nvmlPciInfo_t (v3)
  char busIdLegacy[16];
  unsigned domain;
  unsigned bus;
  unsigned device;
  unsigned pciDeviceId;
  unsigned pciSubSystemId;
  char busId[32];
};
struct NvmlMemory {  // nvmlMemory_t
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};

struct Nvml {
  void* lib = nullptr;
  nvmlReturn_t (*Init)() = nullptr;
  nvmlReturn_t (*Shutdown)() = nullptr;
  nvmlReturn_t (*GetCount)(unsigned*) = nullptr;
  nvmlReturn_t (*GetHandle)(unsigned, nvmlDevice_t*) = nullptr;
  nvmlReturn_t (*GetPci)(nvmlDevice_t, NvmlPciInfo*) = nullptr;
  nvmlReturn_t (*GetName)(nvmlDevice_t, char*, unsigned) = nullptr;
  nvmlReturn_t (*GetMemory)(nvmlDevice_t, NvmlMemory*) = nullptr;
  nvmlReturn_t (*GetCc)(nvmlDevice_t, int*, int*) = nullptr;
  nvmlReturn_t (*LinkState)(nvmlDevice_t, unsigned, int*) = nullptr;
  nvmlReturn_t (*LinkRemotePci)(nvmlDevice_t, unsigned, NvmlPciInfo*) = nullptr;
  nvmlReturn_t (*LinkRemoteType)(nvmlDevice_t, unsigned, int*) = nullptr;  // optional
  nvmlReturn_t (*BusWidth)(nvmlDevice_t, unsigned*) = nullptr;             // optional
  nvmlReturn_t (*MaxClock)(nvmlDevice_t, int, unsigned*) = nullptr;        // optional

  ~Nvml() {
    if (lib != nullptr) dlclose(lib);
  }
  template <typename F>
  bool Load(F* fn, const char* name) {
    *fn = reinterpret_cast<F>(dlsym(lib, name));
    return *fn != nullptr;
  }
  bool Open() {
    lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) return false;
    Load(&LinkRemoteType, "nvmlDeviceGetNvLinkRemoteDeviceType");
    Load(&BusWidth, "nvmlDeviceGetMemoryBusWidth");
    Load(&MaxClock, "nvmlDeviceGetMaxClockInfo");
    return Load(&Init, "nvmlInit_v2") && Load(&Shutdown, "nvmlShutdown") &&
           Load(&GetCount, "nvmlDeviceGetCount_v2") && Load(&GetHandle, "nvmlDeviceGetHandleByIndex_v2") &&
           Load(&GetPci, "nvmlDeviceGetPciInfo_v3") && Load(&GetName, "nvmlDeviceGetName") &&
           Load(&GetMemory, "nvmlDeviceGetMemoryInfo") &&
           Load(&GetCc, "nvmlDeviceGetCudaComputeCapability") &&
           Load(&LinkState, "nvmlDeviceGetNvLinkState") &&
           Load(&LinkRemotePci, "nvmlDeviceGetNvLinkRemotePciInfo_v2");
  }
};

std::string BusId(const NvmlPciInfo& p) { return PciBusId(p.domain, p.bus, p.device, 0); }

// NVLink generation by compute capability (V100: 2, A100: 3, H100: 4, B200: 5).
int NvlinkVersion(int cc_major) {
  if (cc_major >= 10) return 5;
  if (cc_major == 9) return 4;
  if (cc_major == 8) return 3;
  if (cc_major == 7) return 2;
  return 1;
}

}  // namespace

void ProbeNvml(Graph* g, NodeId host) {
  Nvml nv;
  if (!nv.Open()) {
    const char* err = dlerror();
    CHORUS_INFO(kTopo, "NVML not found (%s): no NVLink information",
                err != nullptr ? err : "missing symbols");
    return;
  }
  if (nv.Init() != kNvmlSuccess) {
    CHORUS_INFO(kTopo, "NVML present but nvmlInit failed: no NVLink information");
    return;
  }
  unsigned count = 0;
  if (nv.GetCount(&count) != kNvmlSuccess) count = 0;
  struct Gpu {
    nvmlDevice_t dev = nullptr;
    NodeId node = kNoNode;
    int version = 0;
  };
  std::vector<Gpu> gpus;
  for (unsigned i = 0; i < count; ++i) {
    Gpu gpu;
    NvmlPciInfo pci{};
    if (nv.GetHandle(i, &gpu.dev) != kNvmlSuccess || nv.GetPci(gpu.dev, &pci) != kNvmlSuccess) continue;
    std::string bus = BusId(pci);
    gpu.node = FindByPci(*g, host, bus);
    if (gpu.node == kNoNode) {
      // hwloc did not see it (no hwloc, or no PCI access): hang it off the first CPU.
      Node n;
      n.kind = NodeKind::kGpu;
      n.id = FreshId(*g, "gpu");
      n.host = host;
      n.pci = bus;
      gpu.node = g->AddNode(std::move(n));
      Link l;
      l.a = gpu.node;
      l.b = FirstCpu(g, host);
      l.type = LinkType::kPcie;
      l.bw_gbps = fig::PcieGbps(3, 16);
      l.latency_us = fig::kPcieLatencyUs;
      g->AddLink(l);
      CHORUS_INFO(kTopo, "NVML GPU %u (%s) unseen by hwloc: PCIe Gen3 x16 to the CPU assumed", i,
                  bus.c_str());
    }
    Node& n = g->mutable_node(gpu.node);
    n.index = static_cast<int>(i);
    char name[96] = {};
    if (nv.GetName(gpu.dev, name, sizeof(name)) == kNvmlSuccess && name[0] != '\0') n.name = name;
    NvmlMemory mem{};
    if (nv.GetMemory(gpu.dev, &mem) == kNvmlSuccess) n.memory = mem.total;
    // Memory bandwidth = clock x 2 (double data rate) x bus width: H100 SXM 2619 MHz x 5120 bits
    // = 3.35 TB/s, its data sheet figure.
    unsigned width = 0, mhz = 0;
    if (nv.BusWidth != nullptr && nv.MaxClock != nullptr && nv.BusWidth(gpu.dev, &width) == kNvmlSuccess &&
        nv.MaxClock(gpu.dev, kNvmlClockMem, &mhz) == kNvmlSuccess && width > 0 && mhz > 0) {
      n.bw_gbps = std::round(static_cast<double>(mhz) * 2 * width / 8 / 1000);
    }
    int major = 0, minor = 0;
    if (nv.GetCc(gpu.dev, &major, &minor) == kNvmlSuccess) gpu.version = NvlinkVersion(major);
    gpus.push_back(gpu);
  }

  // Count active links per (GPU, remote PCI device).
  std::map<std::pair<NodeId, std::string>, int> to_switch;
  std::map<std::pair<NodeId, NodeId>, int> to_gpu;
  std::map<std::pair<NodeId, NodeId>, int> version;
  int active = 0;
  for (const Gpu& gpu : gpus) {
    for (unsigned link = 0; link < kNvmlMaxLinks; ++link) {
      int state = 0;
      if (nv.LinkState(gpu.dev, link, &state) != kNvmlSuccess || state == 0) continue;
      NvmlPciInfo remote{};
      if (nv.LinkRemotePci(gpu.dev, link, &remote) != kNvmlSuccess) continue;
      ++active;
      std::string bus = BusId(remote);
      NodeId peer = FindByPci(*g, host, bus);
      int type = -1;
      if (nv.LinkRemoteType == nullptr || nv.LinkRemoteType(gpu.dev, link, &type) != kNvmlSuccess) {
        type = peer != kNoNode && g->node(peer).kind == NodeKind::kGpu ? kNvmlRemoteGpu : kNvmlRemoteSwitch;
      }
      if (type == kNvmlRemoteGpu && peer != kNoNode && g->node(peer).kind == NodeKind::kGpu) {
        if (gpu.node < peer) ++to_gpu[{gpu.node, peer}];  // each side sees the link; count it once
        version[{gpu.node, peer}] = gpu.version;
      } else if (type == kNvmlRemoteSwitch) {
        ++to_switch[{gpu.node, bus}];
      }
    }
  }
  for (const auto& [key, n] : to_gpu) {
    Link l;
    l.a = key.first;
    l.b = key.second;
    l.type = LinkType::kNvlink;
    l.version = version[key];
    l.bw_gbps = n * fig::NvlinkLinkGbps(l.version);
    l.latency_us = fig::kNvlinkLatencyUs;
    l.count = n;
    g->AddLink(l);
  }
  int min_version = 0;
  for (const Gpu& gpu : gpus)
    min_version = min_version == 0 ? gpu.version : std::min(min_version, gpu.version);
  for (const auto& [key, n] : to_switch) {
    NodeId sw = FindByPci(*g, host, key.second);
    if (sw == kNoNode) {
      Node s;
      s.kind = NodeKind::kAccelSwitch;
      s.id = FreshId(*g, "nvs");
      s.name = "NVSwitch";
      s.host = host;
      s.pci = key.second;
      s.group = "nvswitch";
      sw = g->AddNode(std::move(s));
    }
    // Multicast reduction needs Hopper or newer on every GPU of the domain.
    if (min_version >= 4) g->mutable_node(sw).reduce = fig::NvlsReduceCaps();
    int v = 0;
    for (const Gpu& gpu : gpus) {
      if (gpu.node == key.first) v = gpu.version;
    }
    Link l;
    l.a = key.first;
    l.b = sw;
    l.type = LinkType::kNvlink;
    l.version = v;
    l.bw_gbps = n * fig::NvlinkLinkGbps(v);
    l.latency_us = fig::kNvlinkLatencyUs;
    l.count = n;
    g->AddLink(l);
  }
  CHORUS_INFO(kTopo, "NVML: %zu GPUs, %d active NVLinks (%zu GPU pairs, %zu GPU-switch bundles)", gpus.size(),
              active, to_gpu.size(), to_switch.size());
  nv.Shutdown();
}

}  // namespace chorus::topo::detail
