// Detection through hwloc: packages, NUMA nodes (with their SLIT distances), and the PCI tree
// with its switches, accelerators and NICs.
//
// PCI bridges become switches by depth below a host bridge: the first bridge is a root port
// (its devices hang off the CPU), the next one a switch's upstream port (a kPcieSwitch node), the
// one below that the switch's downstream ports (folded into that switch), and so on alternately.
#include "core/log.h"
#include "topology/detect_internal.h"
#include "topology/figures.h"

#if CHORUS_HAVE_HWLOC
#include <hwloc.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#endif

namespace chorus::topo::detail {

#if CHORUS_HAVE_HWLOC
namespace {

constexpr unsigned short kVendorNvidia = 0x10de;
constexpr unsigned short kVendorAmd = 0x1002;
constexpr unsigned short kVendorIntel = 0x8086;

// An I/O node found while walking, turned into graph nodes once the walk is over (device
// indices depend on all of them).
struct IoItem {
  NodeKind kind = NodeKind::kPcieSwitch;
  std::string pci;
  int parent = -1;  // index of the switch item above, or -1: hangs off `cpu`
  NodeId cpu = kNoNode;
  int numa = -1;
  std::string name;
  int index = -1;         // from an OS device name ("cuda3", "nvml3", "rsmi3")
  double hwloc_gbps = 0;  // hwloc's link speed of the upstream link
  PcieLinkInfo link;
  double port_gbps = 0;  // NICs
  NodeId node = kNoNode;
};

class Walker {
 public:
  Walker(hwloc_topology_t t, const DetectOptions& o, Graph* g, NodeId host)
      : t_(t), o_(o), g_(g), host_(host) {}

  void Run();

 private:
  void AddPackagesAndNuma();
  void AddSmpLinks();
  void VisitNormal(hwloc_obj_t obj);
  void VisitIo(hwloc_obj_t obj, NodeId cpu, int numa, int parent, int depth);
  void AddPciDevice(hwloc_obj_t obj, NodeId cpu, int numa, int parent);
  NodeId CpuOf(hwloc_obj_t normal) const;
  void CreateIoNodes();
  int Distance(int numa_a, int numa_b) const;

  hwloc_topology_t t_;
  const DetectOptions& o_;
  Graph* g_;
  NodeId host_;
  std::map<unsigned, NodeId> cpu_by_logical_;  // package logical index -> node
  std::map<int, int> numa_slot_;               // NUMA OS index -> row in distances_
  std::vector<uint64_t> distances_;            // SLIT, numa_slot_.size() squared; empty if unknown
  std::vector<IoItem> items_;
};

std::string OsIndexOr(unsigned os_index, unsigned logical) {
  return std::to_string(os_index != HWLOC_UNKNOWN_INDEX ? os_index : logical);
}

void Walker::Run() {
  AddPackagesAndNuma();
  AddSmpLinks();
  VisitNormal(hwloc_get_root_obj(t_));
  CreateIoNodes();
}

void Walker::AddPackagesAndNuma() {
  int npkg = hwloc_get_nbobjs_by_type(t_, HWLOC_OBJ_PACKAGE);
  for (int i = 0; i < npkg; ++i) {
    hwloc_obj_t p = hwloc_get_obj_by_type(t_, HWLOC_OBJ_PACKAGE, static_cast<unsigned>(i));
    Node n;
    n.kind = NodeKind::kCpu;
    n.id = "cpu" + OsIndexOr(p->os_index, p->logical_index);
    if (g_->Find(n.id) != kNoNode) n.id = FreshId(*g_, "cpu");
    n.host = host_;
    n.index = p->os_index != HWLOC_UNKNOWN_INDEX ? static_cast<int>(p->os_index) : i;
    const char* model = hwloc_obj_get_info_by_name(p, "CPUModel");
    if (model != nullptr) n.name = model;
    n.cores = hwloc_get_nbobjs_inside_cpuset_by_type(t_, p->cpuset, HWLOC_OBJ_CORE);
    if (p->nodeset != nullptr && !hwloc_bitmap_iszero(p->nodeset)) n.numa = hwloc_bitmap_first(p->nodeset);
    cpu_by_logical_[p->logical_index] = g_->AddNode(std::move(n));
  }
  if (npkg == 0) {
    CHORUS_INFO(kTopo, "hwloc reports no CPU package: one package holds every core");
    NodeId c = FirstCpu(g_, host_);
    g_->mutable_node(c).cores = hwloc_get_nbobjs_by_type(t_, HWLOC_OBJ_CORE);
    cpu_by_logical_[0] = c;
  }

  int nnuma = hwloc_get_nbobjs_by_type(t_, HWLOC_OBJ_NUMANODE);
  std::vector<hwloc_obj_t> numa_objs;
  for (int i = 0; i < nnuma; ++i) {
    numa_objs.push_back(hwloc_get_obj_by_type(t_, HWLOC_OBJ_NUMANODE, static_cast<unsigned>(i)));
    numa_slot_[static_cast<int>(numa_objs.back()->os_index)] = i;
  }
  // SLIT distances (Linux reports them as latencies relative to 10 = local).
  unsigned nr = 1;
  struct hwloc_distances_s* dist = nullptr;
  if (nnuma > 1 &&
      hwloc_distances_get_by_type(t_, HWLOC_OBJ_NUMANODE, &nr, &dist, HWLOC_DISTANCES_KIND_MEANS_LATENCY,
                                  0) == 0 &&
      nr >= 1) {
    distances_.assign(static_cast<size_t>(nnuma) * static_cast<size_t>(nnuma), 0);
    for (unsigned a = 0; a < dist->nbobjs; ++a) {
      for (unsigned b = 0; b < dist->nbobjs; ++b) {
        auto sa = numa_slot_.find(static_cast<int>(dist->objs[a]->os_index));
        auto sb = numa_slot_.find(static_cast<int>(dist->objs[b]->os_index));
        if (sa == numa_slot_.end() || sb == numa_slot_.end()) continue;
        distances_[static_cast<size_t>(sa->second * nnuma + sb->second)] = dist->values[a * dist->nbobjs + b];
      }
    }
    hwloc_distances_release(t_, dist);
  } else if (nnuma > 1) {
    CHORUS_INFO(kTopo, "hwloc has no NUMA distances: socket links get distance %d", 20);
  }

  for (hwloc_obj_t m : numa_objs) {
    Node n;
    n.kind = NodeKind::kNuma;
    n.id = "numa" + OsIndexOr(m->os_index, m->logical_index);
    if (g_->Find(n.id) != kNoNode) n.id = FreshId(*g_, "numa");
    n.host = host_;
    n.index = static_cast<int>(m->os_index);
    n.numa = static_cast<int>(m->os_index);
    n.memory = m->attr->numanode.local_memory;
    n.cores =
        m->cpuset != nullptr ? hwloc_get_nbobjs_inside_cpuset_by_type(t_, m->cpuset, HWLOC_OBJ_CORE) : 0;
    NodeId numa = g_->AddNode(std::move(n));
    hwloc_obj_t pkg = hwloc_get_ancestor_obj_by_type(t_, HWLOC_OBJ_PACKAGE, m);
    NodeId cpu = kNoNode;
    if (pkg != nullptr) {
      cpu = cpu_by_logical_[pkg->logical_index];
    } else {
      // Memory attached above the packages (or CPU-less memory): the first package it overlaps.
      for (const auto& [logical, node] : cpu_by_logical_) {
        hwloc_obj_t p = hwloc_get_obj_by_type(t_, HWLOC_OBJ_PACKAGE, logical);
        if (p != nullptr && m->cpuset != nullptr && hwloc_bitmap_intersects(p->cpuset, m->cpuset)) {
          cpu = node;
          break;
        }
      }
      if (cpu == kNoNode) cpu = cpu_by_logical_.begin()->second;
    }
    Link l;
    l.a = cpu;
    l.b = numa;
    l.type = LinkType::kMemory;
    l.bw_gbps = fig::kDefaultMemGbps;
    l.latency_us = fig::kMemLatencyUs;
    int self = Distance(static_cast<int>(m->os_index), static_cast<int>(m->os_index));
    l.distance = self > 0 ? self : fig::kDefaultNumaDistance;
    g_->AddLink(l);
  }
  if (nnuma == 0) {
    CHORUS_INFO(kTopo, "hwloc reports no NUMA node");
  } else {
    CHORUS_INFO(kTopo, "memory bandwidth is not detected: CPU-memory links get %.0f GB/s",
                fig::kDefaultMemGbps);
  }
}

int Walker::Distance(int numa_a, int numa_b) const {
  if (distances_.empty()) return 0;
  auto a = numa_slot_.find(numa_a);
  auto b = numa_slot_.find(numa_b);
  if (a == numa_slot_.end() || b == numa_slot_.end()) return 0;
  uint64_t v =
      distances_[static_cast<size_t>(a->second) * numa_slot_.size() + static_cast<size_t>(b->second)];
  return v > 0 && v <= 255 ? static_cast<int>(v) : 0;
}

void Walker::AddSmpLinks() {
  std::vector<NodeId> cpus;
  for (const auto& [logical, node] : cpu_by_logical_) cpus.push_back(node);
  if (cpus.size() > 1) {
    CHORUS_INFO(kTopo, "socket interconnect bandwidth is not detected: %.0f GB/s assumed",
                fig::kDefaultSmpGbps);
  }
  for (size_t i = 0; i < cpus.size(); ++i) {
    for (size_t j = i + 1; j < cpus.size(); ++j) {
      Link l;
      l.a = cpus[i];
      l.b = cpus[j];
      l.type = LinkType::kSmp;
      l.bw_gbps = fig::kDefaultSmpGbps;
      l.latency_us = fig::kSmpLatencyUs;
      int d = Distance(g_->node(cpus[i]).numa, g_->node(cpus[j]).numa);
      l.distance = d > 0 ? d : 20;
      g_->AddLink(l);
    }
  }
}

NodeId Walker::CpuOf(hwloc_obj_t normal) const {
  hwloc_obj_t pkg = normal->type == HWLOC_OBJ_PACKAGE
                        ? normal
                        : hwloc_get_ancestor_obj_by_type(t_, HWLOC_OBJ_PACKAGE, normal);
  if (pkg != nullptr) {
    auto it = cpu_by_logical_.find(pkg->logical_index);
    if (it != cpu_by_logical_.end()) return it->second;
  }
  // Attached above the packages (e.g. to the machine): the first package it overlaps.
  for (const auto& [logical, node] : cpu_by_logical_) {
    hwloc_obj_t p = hwloc_get_obj_by_type(t_, HWLOC_OBJ_PACKAGE, logical);
    if (p != nullptr && normal->cpuset != nullptr && hwloc_bitmap_intersects(p->cpuset, normal->cpuset)) {
      return node;
    }
  }
  return cpu_by_logical_.begin()->second;
}

void Walker::VisitNormal(hwloc_obj_t obj) {
  if (obj->io_first_child != nullptr) {
    NodeId cpu = CpuOf(obj);
    int numa = obj->nodeset != nullptr && !hwloc_bitmap_iszero(obj->nodeset) &&
                       hwloc_bitmap_weight(obj->nodeset) == 1
                   ? hwloc_bitmap_first(obj->nodeset)
                   : g_->node(cpu).numa;
    for (hwloc_obj_t c = obj->io_first_child; c != nullptr; c = c->next_sibling) {
      VisitIo(c, cpu, numa, -1, 0);
    }
  }
  for (hwloc_obj_t c = obj->first_child; c != nullptr; c = c->next_sibling) VisitNormal(c);
}

void Walker::VisitIo(hwloc_obj_t obj, NodeId cpu, int numa, int parent, int depth) {
  if (obj->type == HWLOC_OBJ_PCI_DEVICE) {
    AddPciDevice(obj, cpu, numa, parent);
    return;
  }
  if (obj->type != HWLOC_OBJ_BRIDGE) return;  // OS devices outside PCI: nothing to link
  int child_parent = parent;
  if (obj->attr->bridge.upstream_type == HWLOC_OBJ_BRIDGE_HOST) {
    depth = -1;  // its children are at depth 0 (root ports)
  } else if (depth % 2 == 1) {
    const auto& pci = obj->attr->bridge.upstream.pci;
    IoItem sw;
    sw.kind = NodeKind::kPcieSwitch;
    sw.pci = PciBusId(pci.domain, pci.bus, pci.dev, pci.func);
    sw.parent = parent;
    sw.cpu = cpu;
    sw.numa = numa;
    sw.name = "PCIe switch";
    sw.hwloc_gbps = pci.linkspeed;
    if (o_.hwloc_xml.empty()) sw.link = ReadPcieLink(sw.pci);
    items_.push_back(std::move(sw));
    child_parent = static_cast<int>(items_.size()) - 1;
  }
  for (hwloc_obj_t c = obj->io_first_child; c != nullptr; c = c->next_sibling) {
    VisitIo(c, cpu, numa, child_parent, depth + 1);
  }
}

void Walker::AddPciDevice(hwloc_obj_t obj, NodeId cpu, int numa, int parent) {
  const auto& pci = obj->attr->pcidev;
  unsigned cls = pci.class_id >> 8;
  IoItem it;
  bool gpu = ((pci.vendor_id == kVendorNvidia || pci.vendor_id == kVendorAmd) && cls == 0x03) ||
             (pci.vendor_id == kVendorIntel && pci.class_id == 0x0380) || cls == 0x12;
  if (gpu) {
    it.kind = NodeKind::kGpu;
  } else if (pci.class_id == 0x0200 || pci.class_id == 0x0207) {
    it.kind = NodeKind::kNic;
  } else if (pci.vendor_id == kVendorNvidia && pci.class_id == 0x0680) {
    it.kind = NodeKind::kAccelSwitch;  // NVSwitch; NVML links GPUs to it
  } else {
    return;
  }
  it.pci = PciBusId(pci.domain, pci.bus, pci.dev, pci.func);
  it.parent = parent;
  it.cpu = cpu;
  it.numa = numa;
  it.hwloc_gbps = pci.linkspeed;
  if (o_.hwloc_xml.empty()) it.link = ReadPcieLink(it.pci);
  const char* model = hwloc_obj_get_info_by_name(obj, "PCIDevice");
  char ids[32];
  std::snprintf(ids, sizeof(ids), "pci %04x:%04x", pci.vendor_id, pci.device_id);
  it.name = model != nullptr ? model : ids;
  std::string ib, net;
  for (hwloc_obj_t c = obj->io_first_child; c != nullptr; c = c->next_sibling) {
    if (c->type != HWLOC_OBJ_OS_DEVICE || c->name == nullptr) continue;
    std::string name = c->name;
    unsigned idx = 0;
    if (c->attr->osdev.type == HWLOC_OBJ_OSDEV_OPENFABRICS) {
      ib = name;
    } else if (c->attr->osdev.type == HWLOC_OBJ_OSDEV_NETWORK) {
      net = name;
    } else if ((std::sscanf(name.c_str(), "cuda%u", &idx) == 1 ||
                std::sscanf(name.c_str(), "nvml%u", &idx) == 1 ||
                std::sscanf(name.c_str(), "rsmi%u", &idx) == 1) &&
               it.index < 0) {
      it.index = static_cast<int>(idx);
    }
    if (const char* m = hwloc_obj_get_info_by_name(c, "GPUModel")) it.name = m;
  }
  if (it.kind == NodeKind::kNic) {
    if (!ib.empty())
      it.name = ib;
    else if (!net.empty())
      it.name = net;
    if (o_.hwloc_xml.empty()) {
      if (!ib.empty()) it.port_gbps = ReadIbRateGbps(ib);
      if (it.port_gbps == 0 && !net.empty()) it.port_gbps = ReadNetSpeedGbps(net);
    }
    if (it.port_gbps == 0) {
      CHORUS_INFO(kTopo, "NIC %s (%s): speed unknown, %.1f GB/s assumed", it.name.c_str(), it.pci.c_str(),
                  fig::kDefaultNicGbps);
      it.port_gbps = fig::kDefaultNicGbps;
    }
  }
  items_.push_back(std::move(it));
}

void Walker::CreateIoNodes() {
  // Device indices: what the OS device names say when every device of the kind has one, else
  // PCI order (which is also NVML's and, with CUDA_DEVICE_ORDER=PCI_BUS_ID, CUDA's).
  for (NodeKind kind : {NodeKind::kGpu, NodeKind::kNic}) {
    std::vector<IoItem*> of_kind;
    for (IoItem& it : items_) {
      if (it.kind == kind) of_kind.push_back(&it);
    }
    bool named = !of_kind.empty() &&
                 std::all_of(of_kind.begin(), of_kind.end(), [](IoItem* i) { return i->index >= 0; });
    if (!named) {
      std::sort(of_kind.begin(), of_kind.end(), [](IoItem* a, IoItem* b) { return a->pci < b->pci; });
      for (size_t i = 0; i < of_kind.size(); ++i) of_kind[i]->index = static_cast<int>(i);
    }
  }
  bool unknown_speed = false;
  for (IoItem& it : items_) {
    Node n;
    n.kind = it.kind;
    switch (it.kind) {
      case NodeKind::kGpu: n.id = "gpu" + std::to_string(it.index); break;
      case NodeKind::kNic: n.id = "nic" + std::to_string(it.index); break;
      case NodeKind::kAccelSwitch: n.id = FreshId(*g_, "nvs"); break;
      default: n.id = FreshId(*g_, "pcisw"); break;
    }
    if (g_->Find(n.id) != kNoNode) n.id = FreshId(*g_, n.id + "_");
    n.name = it.name;
    n.host = host_;
    n.index = it.kind == NodeKind::kGpu || it.kind == NodeKind::kNic ? it.index : -1;
    n.numa = it.numa;
    n.pci = it.pci;
    if (it.kind == NodeKind::kNic) n.bw_gbps = it.port_gbps;
    if (it.kind == NodeKind::kAccelSwitch) n.group = "nvswitch";
    it.node = g_->AddNode(std::move(n));
    if (it.kind == NodeKind::kAccelSwitch) continue;  // its PCIe link is for management only
    Link l;
    l.a = it.node;
    l.b = it.parent >= 0 ? items_[static_cast<size_t>(it.parent)].node : it.cpu;
    l.type = LinkType::kPcie;
    l.latency_us = fig::kPcieLatencyUs;
    if (it.link.gen > 0) {
      l.pcie_gen = it.link.gen;
      l.pcie_width = it.link.width;
      l.bw_gbps = fig::PcieGbps(it.link.gen, it.link.width);
    } else if (it.hwloc_gbps > 0) {
      l.bw_gbps = std::round(it.hwloc_gbps * 1000) / 1000;  // a float in hwloc: drop its noise
    } else {
      l.bw_gbps = fig::PcieGbps(3, 16);
      unknown_speed = true;
    }
    g_->AddLink(l);
  }
  if (unknown_speed) {
    CHORUS_INFO(kTopo, "some PCIe link speeds are unknown: Gen3 x16 (%.2f GB/s) assumed",
                fig::PcieGbps(3, 16));
  }
}

}  // namespace

bool DetectHwloc(const DetectOptions& opts, Graph* g, NodeId host) {
  hwloc_topology_t t;
  if (hwloc_topology_init(&t) != 0) {
    CHORUS_INFO(kTopo, "hwloc_topology_init failed: falling back to sysconf");
    return false;
  }
  hwloc_topology_set_io_types_filter(t, opts.io ? HWLOC_TYPE_FILTER_KEEP_ALL : HWLOC_TYPE_FILTER_KEEP_NONE);
  // Components we skip: the vendor ones would start the vendors' runtimes inside hwloc (slow; we
  // probe NVML and ROCm SMI ourselves), gl queries X displays, and pci (libpciaccess) repeats what
  // the linux component reads from sysfs and leaks memory when it is unloaded.
  for (const char* c : {"pci", "opencl", "gl", "cuda", "nvml", "rsmi", "levelzero"}) {
    hwloc_topology_set_components(t, HWLOC_TOPOLOGY_COMPONENTS_FLAG_BLACKLIST, c);
  }
  if (!opts.hwloc_xml.empty() && hwloc_topology_set_xml(t, opts.hwloc_xml.c_str()) != 0) {
    CHORUS_WARN(kTopo, "hwloc cannot use XML %s: falling back to sysconf", opts.hwloc_xml.c_str());
    hwloc_topology_destroy(t);
    return false;
  }
  if (hwloc_topology_load(t) != 0) {
    CHORUS_INFO(kTopo, "hwloc_topology_load failed: falling back to sysconf");
    hwloc_topology_destroy(t);
    return false;
  }
  Walker(t, opts, g, host).Run();
  hwloc_topology_destroy(t);
  return true;
}

#else  // !CHORUS_HAVE_HWLOC

bool DetectHwloc(const DetectOptions&, Graph*, NodeId) {
  CHORUS_INFO(kTopo, "built without hwloc: minimal topology from sysconf");
  return false;
}

#endif

}  // namespace chorus::topo::detail
