// The bundled machine builders and the fat-tree generator: the structure and figures each
// promises (docs/topology.md).
#include <gtest/gtest.h>

#include <map>

#include "topology/machines.h"
#include "topology/path.h"

namespace chorus::topo {
namespace {

size_t Count(const Graph& g, NodeKind k) { return g.NodesOfKind(k).size(); }

// Summed bandwidth of the links of `type` touching `n`.
double LinkBw(const Graph& g, NodeId n, LinkType type) {
  double bw = 0;
  for (LinkId id : g.links_of(n)) {
    if (g.link(id).type == type) bw += g.link(id).bw_gbps;
  }
  return bw;
}

TEST(TopologyMachines, AllBuiltinsValidate) {
  for (const std::string& name : BuiltinNames()) {
    Graph g;
    ASSERT_TRUE(MakeBuiltin(name, &g).ok()) << name;
    Status s = g.Validate();
    EXPECT_TRUE(s.ok()) << name << ": " << s.message();
    EXPECT_EQ(g.name, name);
  }
  Graph g;
  Status s = MakeBuiltin("dgx-a100", &g);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("dgx-h100"), std::string::npos) << s.message();
}

TEST(TopologyMachines, DgxH100) {
  Graph g = MakeDgxH100();
  EXPECT_EQ(Count(g, NodeKind::kGpu), 8u);
  EXPECT_EQ(Count(g, NodeKind::kAccelSwitch), 4u);
  EXPECT_EQ(Count(g, NodeKind::kNic), 8u);
  EXPECT_EQ(Count(g, NodeKind::kCpu), 2u);
  EXPECT_EQ(Count(g, NodeKind::kPcieSwitch), 4u);
  for (NodeId gpu : g.NodesOfKind(NodeKind::kGpu)) {
    EXPECT_DOUBLE_EQ(LinkBw(g, gpu, LinkType::kNvlink), 450);
    int links = 0;
    for (LinkId id : g.links_of(gpu)) links += g.link(id).type == LinkType::kNvlink ? g.link(id).count : 0;
    EXPECT_EQ(links, 18);
  }
  for (NodeId nic : g.NodesOfKind(NodeKind::kNic)) {
    EXPECT_DOUBLE_EQ(g.node(nic).bw_gbps, 50);
  }
  for (const Link& l : g.links()) {
    if (l.type == LinkType::kPcie) {
      EXPECT_EQ(l.pcie_gen, 5);
    }
  }
  for (NodeId sw : g.NodesOfKind(NodeKind::kAccelSwitch)) EXPECT_TRUE(g.node(sw).reduce.any());
}

TEST(TopologyMachines, Gb200Nvl72) {
  Graph g = MakeGb200Nvl72();
  EXPECT_EQ(Count(g, NodeKind::kGpu), 72u);
  EXPECT_EQ(Count(g, NodeKind::kHost), 18u);
  EXPECT_EQ(Count(g, NodeKind::kCpu), 36u);
  EXPECT_EQ(Count(g, NodeKind::kAccelSwitch), 18u);
  for (NodeId gpu : g.NodesOfKind(NodeKind::kGpu)) {
    // 18 NVLink 5 links to the switch chips (900 GB/s per direction = 1.8 TB/s bidirectional)
    // plus NVLink-C2C to its Grace.
    double to_switches = 0;
    for (LinkId id : g.links_of(gpu)) {
      const Link& l = g.link(id);
      if (g.node(l.Other(gpu)).kind == NodeKind::kAccelSwitch) to_switches += l.bw_gbps;
    }
    EXPECT_DOUBLE_EQ(to_switches, 900);
  }
  for (NodeId sw : g.NodesOfKind(NodeKind::kAccelSwitch)) {
    EXPECT_EQ(g.node(sw).host, kNoNode);
    EXPECT_EQ(g.node(sw).group, "nvl72");
    EXPECT_TRUE(g.node(sw).reduce.Supports(DataType::kFloat32, ReduceOp::kSum));
  }
}

TEST(TopologyMachines, Mi300xMesh) {
  Graph g = MakeMi300x8();
  int xgmi = 0;
  std::map<std::pair<NodeId, NodeId>, int> pairs;
  for (const Link& l : g.links()) {
    if (l.type != LinkType::kXgmi) continue;
    ++xgmi;
    EXPECT_DOUBLE_EQ(l.bw_gbps, 64);
    ++pairs[{std::min(l.a, l.b), std::max(l.a, l.b)}];
  }
  EXPECT_EQ(xgmi, 28);  // full mesh of 8
  EXPECT_EQ(pairs.size(), 28u);
  for (NodeId gpu : g.NodesOfKind(NodeKind::kGpu)) EXPECT_DOUBLE_EQ(LinkBw(g, gpu, LinkType::kXgmi), 448);
  EXPECT_EQ(Count(g, NodeKind::kAccelSwitch), 0u);
}

TEST(TopologyMachines, UalinkPod) {
  Graph g = MakeUalinkPod(1024);
  EXPECT_EQ(g.name, "ualink-pod-1024");
  EXPECT_EQ(Count(g, NodeKind::kGpu), 1024u);
  EXPECT_EQ(Count(g, NodeKind::kHost), 128u);
  // Two levels: 16 leaves, 8 spines; every accelerator on exactly one leaf.
  size_t leaves = 0, spines = 0;
  for (NodeId sw : g.NodesOfKind(NodeKind::kAccelSwitch)) (g.node(sw).group == "spine" ? spines : leaves)++;
  EXPECT_EQ(leaves, 16u);
  EXPECT_EQ(spines, 8u);
  for (NodeId a : g.NodesOfKind(NodeKind::kGpu)) {
    ASSERT_EQ(g.links_of(a).size(), 1u);
    EXPECT_DOUBLE_EQ(g.link(g.links_of(a)[0]).bw_gbps, 400);  // 4 planes x 200G x4
  }
  // Non-blocking: a leaf's uplinks carry what its 64 accelerators can send.
  NodeId leaf = g.Find("leaf3");
  double down = 0, up = 0;
  for (LinkId id : g.links_of(leaf)) {
    const Link& l = g.link(id);
    (g.node(l.Other(leaf)).kind == NodeKind::kGpu ? down : up) += l.bw_gbps;
  }
  EXPECT_DOUBLE_EQ(down, up);
  EXPECT_EQ(MakeUalinkPod(100).NodesOfKind(NodeKind::kGpu).size(), 128u);  // rounded up to 64s
  Graph one_leaf = MakeUalinkPod(64);
  EXPECT_EQ(Count(one_leaf, NodeKind::kAccelSwitch), 1u);
}

TEST(TopologyMachines, PcieBoxAndCpu) {
  Graph p = MakePcie8Gpu2Socket();
  EXPECT_EQ(Count(p, NodeKind::kGpu), 8u);
  EXPECT_EQ(Count(p, NodeKind::kPcieSwitch), 4u);
  EXPECT_EQ(Count(p, NodeKind::kAccelSwitch), 0u);
  int smp = 0;
  for (const Link& l : p.links()) smp += l.type == LinkType::kSmp;
  EXPECT_EQ(smp, 1);
  Graph c = MakeCpu2Socket();
  EXPECT_EQ(Count(c, NodeKind::kGpu), 0u);
  EXPECT_EQ(Count(c, NodeKind::kNuma), 2u);
  EXPECT_EQ(Count(c, NodeKind::kNic), 1u);
}

TEST(TopologyMachines, FatTree) {
  Graph g;
  ASSERT_TRUE(MakeFatTree(MakeDgxH100(), 4, FatTreeOptions{}, &g).ok());
  EXPECT_EQ(Count(g, NodeKind::kHost), 4u);
  EXPECT_EQ(Count(g, NodeKind::kGpu), 32u);
  EXPECT_EQ(Count(g, NodeKind::kNetSwitch), 8u + 2u);  // a leaf per rail, 2 spines
  EXPECT_NE(g.Find("n3.gpu7"), kNoNode);
  EXPECT_EQ(g.node(g.Find("n2.nvs1")).group, "n2.nvswitch");  // groups stay per node
  EXPECT_EQ(g.Find("h0"), kNoNode);
  EXPECT_EQ(g.node(g.Find("n1.h0")).hostid, "dgx-h100/n1");
  // Rail-optimized: nic3 of every node on leaf.r3.0.
  NodeId leaf = g.Find("leaf.r3.0");
  ASSERT_NE(leaf, kNoNode);
  int nics = 0;
  for (LinkId id : g.links_of(leaf)) {
    NodeId o = g.link(id).Other(leaf);
    if (g.node(o).kind == NodeKind::kNic) {
      ++nics;
      EXPECT_EQ(g.node(o).id.substr(g.node(o).id.find('.')), ".nic3");
    }
  }
  EXPECT_EQ(nics, 4);
  Router r(g);
  PathInfo same_rail = r.Between(g.Find("n0.gpu3"), g.Find("n2.gpu3"));
  PathInfo cross_rail = r.Between(g.Find("n0.gpu3"), g.Find("n2.gpu4"));
  EXPECT_DOUBLE_EQ(same_rail.bw_gbps, 50);
  EXPECT_LT(same_rail.latency_us, cross_rail.latency_us);  // one leaf vs leaf-spine-leaf

  // Oversubscription narrows the uplinks; small leaves make more of them.
  FatTreeOptions o;
  o.rail_optimized = false;
  o.nodes_per_leaf = 2;
  o.oversubscription = 2;
  o.spines = 4;
  Graph t;
  ASSERT_TRUE(MakeFatTree(MakeCpu2Socket(), 8, o, &t).ok());
  EXPECT_EQ(Count(t, NodeKind::kNetSwitch), 4u + 4u);
  double up = 0;
  for (LinkId id : t.links_of(t.Find("leaf1"))) {
    if (t.node(t.link(id).Other(t.Find("leaf1"))).kind == NodeKind::kNetSwitch) up += t.link(id).bw_gbps;
  }
  EXPECT_DOUBLE_EQ(up, 2 * 12.5 / 2);

  ReduceCaps sharp;
  sharp.Add(ReduceOp::kSum, DataType::kFloat32);
  o.reduce = sharp;
  ASSERT_TRUE(MakeFatTree(MakeCpu2Socket(), 8, o, &t).ok());
  EXPECT_NE(Router(t).Between(t.Find("n0.numa0"), t.Find("n7.numa0")).reducing_switch, kNoNode);

  // Errors.
  EXPECT_FALSE(MakeFatTree(MakeDgxH100(), 0, FatTreeOptions{}, &t).ok());
  FatTreeOptions bad;
  bad.oversubscription = 0.5;
  EXPECT_FALSE(MakeFatTree(MakeDgxH100(), 2, bad, &t).ok());
  Graph no_nic = MakeUalinkPod(64);
  Status s = MakeFatTree(no_nic, 2, FatTreeOptions{}, &t);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("no NIC"), std::string::npos);
}

}  // namespace
}  // namespace chorus::topo
