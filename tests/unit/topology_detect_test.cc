// Detection: on this machine (never fails, finds a package and a NUMA node), without hwloc, and
// from an hwloc XML describing a machine we do not have (PCIe switch, GPUs, NICs, NVSwitch).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "topology/detect.h"
#include "topology/detect_internal.h"
#include "topology/figures.h"
#include "topology/path.h"
#include "topology/xml.h"

namespace chorus::topo {
namespace {

void ExpectOneHostFirst(const Graph& g) {
  ASSERT_GT(g.num_nodes(), 0);
  EXPECT_EQ(g.node(0).kind, NodeKind::kHost);
  EXPECT_EQ(g.NodesOfKind(NodeKind::kHost).size(), 1u);
  for (NodeId n = 1; n < g.num_nodes(); ++n) {
    EXPECT_EQ(g.node(n).host, 0) << g.node(n).id;
  }
}

// What libfabric says of NICs fills in what sysfs did not: a speed sysfs left at the default,
// matched by PCI address or by name; a speed sysfs reported stays.
TEST(TopologyDetect, LibfabricFillsMissingNicSpeeds) {
  Graph g;
  Node h;
  h.kind = NodeKind::kHost;
  h.id = "h0";
  NodeId host = g.AddNode(std::move(h));
  auto nic = [&](const char* id, const char* name, const char* pci, double gbps) {
    Node n;
    n.kind = NodeKind::kNic;
    n.id = id;
    n.name = name;
    n.pci = pci;
    n.host = host;
    n.bw_gbps = gbps;
    return g.AddNode(std::move(n));
  };
  NodeId by_name = nic("nic0", "eth7", "", fig::kDefaultNicGbps);
  NodeId by_pci = nic("nic1", "ib9", "0000:17:00.0", fig::kDefaultNicGbps);
  NodeId known = nic("nic2", "eth8", "", 50);
  NodeId other = nic("nic3", "eth9", "", fig::kDefaultNicGbps);
  std::vector<detail::OfiNic> seen = {{"eth7", "tcp;ofi_rxm", "", 25},
                                      {"mlx5_3", "verbs;ofi_rxm", "0000:17:00.0", 50},
                                      {"eth8", "tcp;ofi_rxm", "", 3}};
  EXPECT_EQ(detail::ApplyOfiNics(seen, &g), 3);
  EXPECT_DOUBLE_EQ(g.node(by_name).bw_gbps, 25);
  EXPECT_DOUBLE_EQ(g.node(by_pci).bw_gbps, 50);
  EXPECT_DOUBLE_EQ(g.node(known).bw_gbps, 50) << "sysfs' figure wins";
  EXPECT_DOUBLE_EQ(g.node(other).bw_gbps, fig::kDefaultNicGbps);
}

// On a machine with libfabric, fi_getinfo names at least one interface it can use (the tcp
// provider offers every interface with an address, loopback included).
TEST(TopologyDetect, LibfabricProbeNamesInterfaces) {
#if !CHORUS_HAVE_OFI
  GTEST_SKIP() << "built without libfabric headers";
#else
  if (access("/usr/lib/x86_64-linux-gnu/libfabric.so.1", R_OK) != 0 && access("/usr/lib64/libfabric.so.1", R_OK) != 0 &&
      access("/usr/lib/libfabric.so.1", R_OK) != 0) {
    GTEST_SKIP() << "libfabric.so.1 is not installed";
  }
  const auto nics = detail::ProbeOfiNics();
  ASSERT_FALSE(nics.empty()) << "fi_getinfo offered no interface";
  for (const auto& n : nics) {
    EXPECT_FALSE(n.name.empty());
    EXPECT_FALSE(n.provider.empty()) << n.name;
    EXPECT_GE(n.gbps, 0) << n.name;
  }
#endif
}

TEST(TopologyDetect, ThisMachine) {
  Graph g = Detect();
  Status s = g.Validate();
  ASSERT_TRUE(s.ok()) << s.message();
  ExpectOneHostFirst(g);
  EXPECT_GE(g.NodesOfKind(NodeKind::kCpu).size(), 1u) << ToText(g);
  EXPECT_GE(g.NodesOfKind(NodeKind::kNuma).size(), 1u) << ToText(g);
  EXPECT_FALSE(g.node(0).hostid.empty());
  int cores = 0;
  for (NodeId c : g.NodesOfKind(NodeKind::kCpu)) cores += g.node(c).cores;
  EXPECT_EQ(cores > 0, true) << ToText(g);
  // Every NUMA node reaches every CPU package.
  Router r(g);
  for (NodeId m : g.NodesOfKind(NodeKind::kNuma)) {
    for (NodeId c : g.NodesOfKind(NodeKind::kCpu)) EXPECT_TRUE(r.Between(m, c).reachable);
  }
#if CHORUS_HAVE_PUGIXML
  Graph back;
  ASSERT_TRUE(ReadXmlString(ToXml(g), "detected", &back).ok()) << ToXml(g);
  EXPECT_TRUE(back == g);
#endif
}

TEST(TopologyDetect, WithoutHwloc) {
  DetectOptions o;
  o.use_hwloc = false;
  o.probe_nvml = false;
  o.probe_rocm = false;
  o.hostid = "fixed-host";
  Graph g = Detect(o);
  ASSERT_TRUE(g.Validate().ok());
  ExpectOneHostFirst(g);
  EXPECT_EQ(g.node(0).hostid, "fixed-host");
  ASSERT_EQ(g.NodesOfKind(NodeKind::kCpu).size(), 1u);
  ASSERT_EQ(g.NodesOfKind(NodeKind::kNuma).size(), 1u);
  EXPECT_EQ(g.node(g.Find("cpu0")).cores, static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)));
  EXPECT_GT(g.node(g.Find("numa0")).memory, 0u);
  EXPECT_EQ(g.num_links(), 1);
}

TEST(TopologyDetect, HostIdOverride) {
  setenv("CHORUS_HOSTID", "rack3-node7", 1);
  EXPECT_EQ(HostId(), "rack3-node7");
  unsetenv("CHORUS_HOSTID");
  std::string id = HostId();
  char name[256] = {};
  gethostname(name, sizeof(name) - 1);
  EXPECT_EQ(id.rfind(name, 0), 0u) << id;
  std::ifstream boot("/proc/sys/kernel/random/boot_id");
  std::string boot_id;
  if (boot && std::getline(boot, boot_id)) {
    EXPECT_EQ(id, std::string(name) + ":" + boot_id);
  }
}

#if CHORUS_HAVE_HWLOC
// Two sockets. Socket 0: root port -> PCIe switch (upstream + 3 downstream ports) -> 2 NVIDIA
// GPUs (named cuda1 and cuda0, in that PCI order) and a 400G InfiniBand NIC. Socket 1: a GPU
// behind a root port, an NVSwitch management function and an Ethernet NIC on the host bridge.
constexpr const char* kFakeMachine = R"(<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE topology SYSTEM "hwloc2.dtd">
<topology version="2.0">
  <object type="Machine" os_index="0" cpuset="0x0000000f" complete_cpuset="0x0000000f" allowed_cpuset="0x0000000f" nodeset="0x00000003" complete_nodeset="0x00000003" allowed_nodeset="0x00000003" gp_index="1">
    <object type="Package" os_index="0" cpuset="0x00000003" complete_cpuset="0x00000003" nodeset="0x00000001" complete_nodeset="0x00000001" gp_index="2">
      <info name="CPUModel" value="Fake CPU"/>
      <object type="NUMANode" os_index="0" cpuset="0x00000003" complete_cpuset="0x00000003" nodeset="0x00000001" complete_nodeset="0x00000001" gp_index="3" local_memory="68719476736"/>
      <object type="Core" os_index="0" cpuset="0x00000001" complete_cpuset="0x00000001" nodeset="0x00000001" complete_nodeset="0x00000001" gp_index="4">
        <object type="PU" os_index="0" cpuset="0x00000001" complete_cpuset="0x00000001" nodeset="0x00000001" complete_nodeset="0x00000001" gp_index="5"/>
      </object>
      <object type="Core" os_index="1" cpuset="0x00000002" complete_cpuset="0x00000002" nodeset="0x00000001" complete_nodeset="0x00000001" gp_index="6">
        <object type="PU" os_index="1" cpuset="0x00000002" complete_cpuset="0x00000002" nodeset="0x00000001" complete_nodeset="0x00000001" gp_index="7"/>
      </object>
      <object type="Bridge" gp_index="20" bridge_type="0-1" depth="0" bridge_pci="0000:[10-1f]">
        <object type="Bridge" gp_index="21" bridge_type="1-1" depth="1" bridge_pci="0000:[11-1f]" pci_busid="0000:10:01.0" pci_type="0604 [8086:1234] [0000:0000] 00" pci_link_speed="63.000000">
          <object type="Bridge" gp_index="22" bridge_type="1-1" depth="2" bridge_pci="0000:[12-1f]" pci_busid="0000:11:00.0" pci_type="0604 [1000:c030] [0000:0000] 00" pci_link_speed="63.000000">
            <object type="Bridge" gp_index="23" bridge_type="1-1" depth="3" bridge_pci="0000:[13-13]" pci_busid="0000:12:00.0" pci_type="0604 [1000:c030] [0000:0000] 00" pci_link_speed="63.000000">
              <object type="PCIDev" gp_index="30" pci_busid="0000:13:00.0" pci_type="0302 [10de:2330] [10de:16c1] a1" pci_link_speed="63.000000">
                <object type="OSDev" gp_index="31" name="cuda1" osdev_type="5"/>
              </object>
            </object>
            <object type="Bridge" gp_index="24" bridge_type="1-1" depth="3" bridge_pci="0000:[14-14]" pci_busid="0000:12:01.0" pci_type="0604 [1000:c030] [0000:0000] 00" pci_link_speed="63.000000">
              <object type="PCIDev" gp_index="32" pci_busid="0000:14:00.0" pci_type="0302 [10de:2330] [10de:16c1] a1" pci_link_speed="63.000000">
                <object type="OSDev" gp_index="33" name="cuda0" osdev_type="5"/>
              </object>
            </object>
            <object type="Bridge" gp_index="25" bridge_type="1-1" depth="3" bridge_pci="0000:[15-15]" pci_busid="0000:12:02.0" pci_type="0604 [1000:c030] [0000:0000] 00" pci_link_speed="63.000000">
              <object type="PCIDev" gp_index="34" pci_busid="0000:15:00.0" pci_type="0207 [15b3:1021] [15b3:0041] 00" pci_link_speed="63.000000">
                <object type="OSDev" gp_index="35" name="mlx5_0" osdev_type="3"/>
                <object type="OSDev" gp_index="36" name="ib0" osdev_type="2"/>
              </object>
            </object>
          </object>
        </object>
      </object>
    </object>
    <object type="Package" os_index="1" cpuset="0x0000000c" complete_cpuset="0x0000000c" nodeset="0x00000002" complete_nodeset="0x00000002" gp_index="8">
      <info name="CPUModel" value="Fake CPU"/>
      <object type="NUMANode" os_index="1" cpuset="0x0000000c" complete_cpuset="0x0000000c" nodeset="0x00000002" complete_nodeset="0x00000002" gp_index="9" local_memory="68719476736"/>
      <object type="Core" os_index="2" cpuset="0x00000004" complete_cpuset="0x00000004" nodeset="0x00000002" complete_nodeset="0x00000002" gp_index="10">
        <object type="PU" os_index="2" cpuset="0x00000004" complete_cpuset="0x00000004" nodeset="0x00000002" complete_nodeset="0x00000002" gp_index="11"/>
      </object>
      <object type="Core" os_index="3" cpuset="0x00000008" complete_cpuset="0x00000008" nodeset="0x00000002" complete_nodeset="0x00000002" gp_index="12">
        <object type="PU" os_index="3" cpuset="0x00000008" complete_cpuset="0x00000008" nodeset="0x00000002" complete_nodeset="0x00000002" gp_index="13"/>
      </object>
      <object type="Bridge" gp_index="40" bridge_type="0-1" depth="0" bridge_pci="0000:[80-8f]">
        <object type="Bridge" gp_index="41" bridge_type="1-1" depth="1" bridge_pci="0000:[81-81]" pci_busid="0000:80:01.0" pci_type="0604 [8086:1234] [0000:0000] 00" pci_link_speed="31.500000">
          <object type="PCIDev" gp_index="42" pci_busid="0000:81:00.0" pci_type="0302 [10de:2330] [10de:16c1] a1" pci_link_speed="31.500000">
            <object type="OSDev" gp_index="43" name="cuda2" osdev_type="5"/>
          </object>
        </object>
        <object type="PCIDev" gp_index="44" pci_busid="0000:80:02.0" pci_type="0680 [10de:22a3] [10de:1796] a1" pci_link_speed="2.000000"/>
        <object type="PCIDev" gp_index="45" pci_busid="0000:80:03.0" pci_type="0200 [8086:1572] [8086:0000] 01" pci_link_speed="7.880000">
          <object type="OSDev" gp_index="46" name="eth1" osdev_type="2"/>
        </object>
      </object>
    </object>
  </object>
  <distances2 type="NUMANode" nbobjs="2" kind="5" name="NUMALatency" indexing="os">
    <indexes length="4">0 1 </indexes>
    <u64values length="12">10 21 21 10 </u64values>
  </distances2>
</topology>
)";

const Link* FindLink(const Graph& g, NodeId a, NodeId b) {
  for (const Link& l : g.links()) {
    if ((l.a == a && l.b == b) || (l.a == b && l.b == a)) return &l;
  }
  return nullptr;
}

TEST(TopologyDetect, FromHwlocXml) {
  std::string path = "/tmp/chorus_topology_detect_test_" + std::to_string(getpid()) + ".xml";
  {
    std::ofstream out(path);
    out << kFakeMachine;
  }
  DetectOptions o;
  o.hwloc_xml = path;
  o.probe_nvml = false;
  o.probe_rocm = false;
  o.hostid = "fake";
  Graph g = Detect(o);
  std::remove(path.c_str());
  ASSERT_TRUE(g.Validate().ok()) << ToText(g);
  ExpectOneHostFirst(g);
  SCOPED_TRACE(ToText(g));

  ASSERT_EQ(g.NodesOfKind(NodeKind::kCpu).size(), 2u);
  ASSERT_EQ(g.NodesOfKind(NodeKind::kNuma).size(), 2u);
  EXPECT_EQ(g.node(g.Find("cpu1")).name, "Fake CPU");
  EXPECT_EQ(g.node(g.Find("cpu1")).cores, 2);
  EXPECT_EQ(g.node(g.Find("numa1")).memory, 68719476736u);
  const Link* smp = FindLink(g, g.Find("cpu0"), g.Find("cpu1"));
  ASSERT_NE(smp, nullptr);
  EXPECT_EQ(smp->type, LinkType::kSmp);
  EXPECT_EQ(smp->distance, 21);  // from the SLIT
  const Link* mem = FindLink(g, g.Find("cpu1"), g.Find("numa1"));
  ASSERT_NE(mem, nullptr);
  EXPECT_EQ(mem->type, LinkType::kMemory);

  // GPU indices come from the CoProc names, not the PCI order.
  ASSERT_EQ(g.NodesOfKind(NodeKind::kGpu).size(), 3u);
  NodeId gpu0 = g.Find("gpu0"), gpu1 = g.Find("gpu1"), gpu2 = g.Find("gpu2");
  ASSERT_NE(gpu0, kNoNode);
  ASSERT_NE(gpu1, kNoNode);
  ASSERT_NE(gpu2, kNoNode);
  EXPECT_EQ(g.node(gpu0).pci, "0000:14:00.0");
  EXPECT_EQ(g.node(gpu1).pci, "0000:13:00.0");
  EXPECT_EQ(g.node(gpu0).numa, 0);
  EXPECT_EQ(g.node(gpu2).numa, 1);

  // One PCIe switch (upstream port; its downstream ports folded in) holds gpu0, gpu1 and the IB NIC.
  ASSERT_EQ(g.NodesOfKind(NodeKind::kPcieSwitch).size(), 1u);
  NodeId sw = g.NodesOfKind(NodeKind::kPcieSwitch)[0];
  EXPECT_EQ(g.node(sw).pci, "0000:11:00.0");
  ASSERT_NE(FindLink(g, gpu0, sw), nullptr);
  ASSERT_NE(FindLink(g, gpu1, sw), nullptr);
  EXPECT_DOUBLE_EQ(FindLink(g, gpu0, sw)->bw_gbps, 63);  // hwloc's link speed (no sysfs for XML)
  ASSERT_NE(FindLink(g, sw, g.Find("cpu0")), nullptr);
  ASSERT_NE(FindLink(g, gpu2, g.Find("cpu1")), nullptr);  // root port only: straight to the CPU

  ASSERT_EQ(g.NodesOfKind(NodeKind::kNic).size(), 2u);
  NodeId ib = kNoNode, eth = kNoNode;
  for (NodeId n : g.NodesOfKind(NodeKind::kNic)) (g.node(n).name == "mlx5_0" ? ib : eth) = n;
  ASSERT_NE(ib, kNoNode);
  ASSERT_NE(eth, kNoNode);
  EXPECT_EQ(g.node(eth).name, "eth1");
  EXPECT_NE(FindLink(g, ib, sw), nullptr);
  EXPECT_NE(FindLink(g, eth, g.Find("cpu1")), nullptr);
  EXPECT_GT(g.node(ib).bw_gbps, 0);  // unknown speed: defaulted, not zero

  // The NVSwitch management function is an accelerator switch without a PCIe link.
  ASSERT_EQ(g.NodesOfKind(NodeKind::kAccelSwitch).size(), 1u);
  EXPECT_TRUE(g.links_of(g.NodesOfKind(NodeKind::kAccelSwitch)[0]).empty());

  // Paths: GPUs under the switch meet there; gpu0 -> gpu2 crosses the sockets.
  Router r(g);
  PathInfo near = r.Between(gpu0, gpu1);
  EXPECT_EQ(near.hops.size(), 2u);
  EXPECT_FALSE(near.Crosses(LinkType::kSmp));
  EXPECT_TRUE(r.Between(gpu0, gpu2).Crosses(LinkType::kSmp));
}

TEST(TopologyDetect, BadHwlocXmlFallsBack) {
  DetectOptions o;
  o.hwloc_xml = "/nonexistent/hwloc.xml";
  o.probe_nvml = false;
  o.probe_rocm = false;
  Graph g = Detect(o);
  ASSERT_TRUE(g.Validate().ok());
  EXPECT_EQ(g.NodesOfKind(NodeKind::kCpu).size(), 1u);
  EXPECT_EQ(g.NodesOfKind(NodeKind::kNuma).size(), 1u);
}
#endif  // CHORUS_HAVE_HWLOC

}  // namespace
}  // namespace chorus::topo
