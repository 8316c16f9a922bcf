// NICs as libfabric's providers see them: fi_getinfo through dlopen("libfabric.so.1"), so the
// library runs where libfabric is absent. The structures come from the build's <rdma/fabric.h>;
// without it (CHORUS_HAVE_OFI unset) there is nothing to read them with and the probe says so.
#include "topology/detect_internal.h"

#include <dlfcn.h>

#include <cstdio>
#include <string>
#include <vector>

#include "core/log.h"
#include "topology/figures.h"

#if CHORUS_HAVE_OFI
#include <rdma/fabric.h>
#endif

namespace chorus::topo::detail {

std::vector<OfiNic> ProbeOfiNics() {
  std::vector<OfiNic> out;
#if CHORUS_HAVE_OFI
  // Opened once and kept: providers keep state behind fi_getinfo that unloading would strand.
  static void* const lib = dlopen("libfabric.so.1", RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    CHORUS_INFO(kTopo, "libfabric not found (%s): NICs from sysfs only", dlerror());
    return out;
  }
  using GetInfo = int (*)(uint32_t, const char*, const char*, uint64_t, const fi_info*, fi_info**);
  using FreeInfo = void (*)(fi_info*);
  auto get = reinterpret_cast<GetInfo>(dlsym(lib, "fi_getinfo"));
  auto free_info = reinterpret_cast<FreeInfo>(dlsym(lib, "fi_freeinfo"));
  fi_info* list = nullptr;
  const int rc = get != nullptr && free_info != nullptr
                     ? get(FI_VERSION(FI_MAJOR_VERSION, FI_MINOR_VERSION), nullptr, nullptr, 0, nullptr, &list)
                     : -1;
  if (rc != 0) {
    CHORUS_INFO(kTopo, "fi_getinfo failed (%d): NICs from sysfs only", rc);
  } else {
    for (const fi_info* i = list; i != nullptr; i = i->next) {
      OfiNic n;
      if (i->fabric_attr != nullptr && i->fabric_attr->prov_name != nullptr) n.provider = i->fabric_attr->prov_name;
      if (i->domain_attr != nullptr && i->domain_attr->name != nullptr) n.name = i->domain_attr->name;
      if (const fid_nic* nic = i->nic) {
        if (nic->device_attr != nullptr && nic->device_attr->name != nullptr) n.name = nic->device_attr->name;
        if (nic->bus_attr != nullptr && nic->bus_attr->bus_type == FI_BUS_PCI) {
          const auto& p = nic->bus_attr->attr.pci;
          char pci[32];
          std::snprintf(pci, sizeof(pci), "%04x:%02x:%02x.%x", p.domain_id, p.bus_id, p.device_id, p.function_id);
          n.pci = pci;
        }
        if (nic->link_attr != nullptr) n.gbps = static_cast<double>(nic->link_attr->speed) / 8e9;
      }
      if (n.name.empty()) continue;
      bool seen = false;
      for (OfiNic& o : out) {
        if (o.name != n.name) continue;
        seen = true;
        if (o.provider.find(n.provider) == std::string::npos) o.provider += "," + n.provider;
        if (o.gbps == 0) o.gbps = n.gbps;
        if (o.pci.empty()) o.pci = n.pci;
      }
      if (!seen) out.push_back(std::move(n));
    }
    free_info(list);
  }
#else
  CHORUS_INFO(kTopo, "built without libfabric headers: NICs from sysfs only");
#endif
  return out;
}

int ApplyOfiNics(const std::vector<OfiNic>& nics, Graph* g) {
  int applied = 0;
  for (NodeId id : g->NodesOfKind(NodeKind::kNic)) {
    Node& n = g->mutable_node(id);
    for (const OfiNic& o : nics) {
      const bool same = (!o.pci.empty() && o.pci == n.pci) || (!o.name.empty() && o.name == n.name);
      if (!same) continue;
      // sysfs' speed wins; libfabric fills in what it did not report.
      if (o.gbps > 0 && n.bw_gbps == fig::kDefaultNicGbps) n.bw_gbps = o.gbps;
      CHORUS_INFO(kTopo, "NIC %s: libfabric provider(s) %s%s", n.name.c_str(), o.provider.c_str(),
                  o.gbps > 0 ? "" : " (no link speed)");
      ++applied;
      break;
    }
  }
  return applied;
}

}  // namespace chorus::topo::detail
