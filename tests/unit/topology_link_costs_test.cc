// Link costs for the tuner: per-pair alpha/beta/level on the bundled machines, rank groups by
// level and host, reducing switch domains, and rank placement.
#include <gtest/gtest.h>

#include "topology/link_costs.h"
#include "topology/machines.h"

namespace chorus::topo {
namespace {

LinkCosts Costs(const Graph& g, const std::vector<NodeId>& nodes) {
  LinkCosts c;
  Status s = LinkCosts::Compute(g, nodes, LinkCostOptions{}, &c);
  EXPECT_TRUE(s.ok()) << s.message();
  return c;
}

std::vector<NodeId> OnAccelerators(const Graph& g, int n) {
  std::vector<NodeId> nodes;
  Status s = PlaceRanks(g, n, PlaceOptions{}, &nodes);
  EXPECT_TRUE(s.ok()) << s.message();
  return nodes;
}

TEST(TopologyLinkCosts, DgxNvswitchPairsAreCheaperThanNetworkPairs) {
  Graph g;
  ASSERT_TRUE(MakeFatTree(MakeDgxH100(), 2, FatTreeOptions{}, &g).ok());
  LinkCosts c = Costs(g, OnAccelerators(g, 16));
  ASSERT_EQ(c.nranks(), 16);
  for (Rank a = 0; a < 16; ++a) {
    for (Rank b = 0; b < 16; ++b) {
      if (a == b) continue;
      const PairCost& p = c.Pair(a, b);
      bool same_node = a / 8 == b / 8;
      EXPECT_EQ(p.level, same_node ? LinkLevel::kSwitchDomain : LinkLevel::kNetwork) << a << "," << b;
      EXPECT_EQ(p.switch_reduce, same_node) << a << "," << b;
    }
  }
  const PairCost& in = c.Pair(0, 5);
  const PairCost& out = c.Pair(0, 13);
  EXPECT_LT(in.alpha_s, out.alpha_s);
  EXPECT_LT(in.beta_s_per_byte, out.beta_s_per_byte);
  // NVLink 4: 450 GB/s nominal at NCCL's 370/450; a 400G NIC at 0.92.
  EXPECT_NEAR(in.bw_gbps, 450 * 0.82, 1e-9);
  EXPECT_NEAR(in.beta_s_per_byte, 1 / (450 * 0.82 * 1e9), 1e-20);
  EXPECT_NEAR(in.alpha_s, 0.6e-6, 1e-15);
  EXPECT_NEAR(out.bw_gbps, 50 * 0.92, 1e-9);
  EXPECT_EQ(c.worst_level(), LinkLevel::kNetwork);

  std::vector<std::vector<Rank>> domains = c.Groups(LinkLevel::kSwitchDomain);
  ASSERT_EQ(domains.size(), 2u);
  EXPECT_EQ(domains[0], (std::vector<Rank>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(domains[1], (std::vector<Rank>{8, 9, 10, 11, 12, 13, 14, 15}));
  EXPECT_EQ(c.Hosts(), domains);
  EXPECT_EQ(c.Groups(LinkLevel::kNetwork).size(), 1u);
  EXPECT_EQ(c.Groups(LinkLevel::kSameDevice).size(), 16u);

  ASSERT_EQ(c.reducing_domains().size(), 2u);
  EXPECT_EQ(c.reducing_domains()[0].name, "n0.nvswitch");
  EXPECT_EQ(c.reducing_domains()[0].ranks, domains[0]);
  EXPECT_TRUE(c.reducing_domains()[1].caps.Supports(DataType::kBfloat16, ReduceOp::kSum));
  EXPECT_FALSE(c.reducing_domains()[1].caps.Supports(DataType::kFloat32, ReduceOp::kMax));
  EXPECT_FALSE(c.reducing_domains()[1].caps.Supports(DataType::kFloat32, ReduceOp::kProd));
}

TEST(TopologyLinkCosts, PcieBoxLevels) {
  Graph g = MakePcie8Gpu2Socket();
  LinkCosts c = Costs(g, OnAccelerators(g, 8));
  // gpu0/gpu1 share a switch; gpu0/gpu2 meet at socket 0; gpu0/gpu4 cross the sockets.
  EXPECT_EQ(c.Pair(0, 1).level, LinkLevel::kPcie);
  EXPECT_EQ(c.Pair(0, 2).level, LinkLevel::kPcie);
  EXPECT_EQ(c.Pair(0, 4).level, LinkLevel::kSmp);
  EXPECT_LT(c.Pair(0, 1).alpha_s, c.Pair(0, 2).alpha_s);
  EXPECT_LT(c.Pair(0, 2).alpha_s, c.Pair(0, 4).alpha_s);
  EXPECT_NEAR(c.Pair(0, 1).bw_gbps, 31.5 * 0.76, 1e-9);
  EXPECT_FALSE(c.Pair(0, 1).switch_reduce);
  EXPECT_TRUE(c.reducing_domains().empty());
  std::vector<std::vector<Rank>> sockets = c.Groups(LinkLevel::kPcie);
  ASSERT_EQ(sockets.size(), 2u);
  EXPECT_EQ(sockets[0], (std::vector<Rank>{0, 1, 2, 3}));
  EXPECT_EQ(c.Groups(LinkLevel::kSwitchDomain).size(), 8u);  // no accelerator fabric
  EXPECT_EQ(c.Hosts().size(), 1u);
  EXPECT_EQ(c.worst_level(), LinkLevel::kSmp);
}

TEST(TopologyLinkCosts, Mi300xMeshAndNvl72Domain) {
  Graph mi = MakeMi300x8();
  LinkCosts m = Costs(mi, OnAccelerators(mi, 8));
  for (Rank b = 1; b < 8; ++b) {
    EXPECT_EQ(m.Pair(0, b).level, LinkLevel::kSwitchDomain);
    EXPECT_EQ(m.Pair(0, b).hops, 1);
    EXPECT_NEAR(m.Pair(0, b).bw_gbps, 64 * 0.75, 1e-9);
  }
  Graph nvl = MakeGb200Nvl72();
  LinkCosts n = Costs(nvl, OnAccelerators(nvl, 72));
  EXPECT_EQ(n.Groups(LinkLevel::kSwitchDomain).size(), 1u);  // one NVLink domain over 18 hosts
  EXPECT_EQ(n.Hosts().size(), 18u);
  ASSERT_EQ(n.reducing_domains().size(), 1u);
  EXPECT_EQ(n.reducing_domains()[0].ranks.size(), 72u);
  EXPECT_NEAR(n.Pair(3, 70).bw_gbps, 900 * 0.82, 1e-9);
}

TEST(TopologyLinkCosts, HostCoresPlacement) {
  Graph g = MakeCpu2Socket();
  std::vector<NodeId> nodes;
  PlaceOptions o;
  o.on = PlaceOn::kHostCores;
  ASSERT_TRUE(PlaceRanks(g, 40, o, &nodes).ok());
  ASSERT_EQ(nodes.size(), 40u);
  for (int r = 0; r < 32; ++r) EXPECT_EQ(nodes[static_cast<size_t>(r)], g.Find("numa0")) << r;
  for (int r = 32; r < 40; ++r) EXPECT_EQ(nodes[static_cast<size_t>(r)], g.Find("numa1")) << r;
  LinkCosts c = Costs(g, nodes);
  EXPECT_EQ(c.Pair(0, 1).level, LinkLevel::kSameDevice);
  EXPECT_NEAR(c.Pair(0, 1).bw_gbps, 307.2 / 2, 1e-9);
  EXPECT_EQ(c.Pair(0, 39).level, LinkLevel::kSmp);
  EXPECT_LT(c.Pair(0, 1).beta_s_per_byte, c.Pair(0, 39).beta_s_per_byte);
  EXPECT_EQ(c.Groups(LinkLevel::kSameDevice).size(), 2u);
  EXPECT_EQ(c.Pair(5, 5).alpha_s, 0);

  // Oversubscribed: 64 cores, 66 ranks; the extra two go round-robin.
  ASSERT_TRUE(PlaceRanks(g, 66, o, &nodes).ok());
  EXPECT_EQ(nodes[64], g.Find("numa0"));
  EXPECT_EQ(nodes[65], g.Find("numa1"));
}

TEST(TopologyLinkCosts, OverheadAndDefaults) {
  Graph g = MakeDgxH100();
  LinkCostOptions o;
  o.overhead_us[static_cast<int>(LinkLevel::kSwitchDomain)] = 2.0;
  LinkCosts c;
  ASSERT_TRUE(LinkCosts::Compute(g, OnAccelerators(g, 2), o, &c).ok());
  EXPECT_NEAR(c.Pair(0, 1).alpha_s, 2.6e-6, 1e-15);
  o.efficiency[static_cast<int>(LinkType::kNvlink)] = 0;
  EXPECT_FALSE(LinkCosts::Compute(g, OnAccelerators(g, 2), o, &c).ok());

  // Two ranks on one device copy through its memory: the node's figure, else the defaults.
  std::vector<NodeId> shared = {g.Find("gpu0"), g.Find("gpu0")};
  ASSERT_TRUE(LinkCosts::Compute(g, shared, LinkCostOptions{}, &c).ok());
  EXPECT_EQ(c.Pair(0, 1).level, LinkLevel::kSameDevice);
  EXPECT_NEAR(c.Pair(0, 1).bw_gbps, 3350 / 2.0, 1e-9);
  Graph ua = MakeUalinkPod(64);  // its accelerators state no memory bandwidth
  NodeId acc = ua.Find("h0.acc0");
  ASSERT_TRUE(LinkCosts::Compute(ua, {acc, acc}, LinkCostOptions{}, &c).ok());
  EXPECT_NEAR(c.Pair(0, 1).bw_gbps, LinkCostOptions{}.default_accel_mem_bw_gbps / 2, 1e-9);
}

TEST(TopologyLinkCosts, Errors) {
  Graph g = MakeDgxH100();
  LinkCosts c;
  EXPECT_FALSE(LinkCosts::Compute(g, {}, LinkCostOptions{}, &c).ok());
  EXPECT_FALSE(LinkCosts::Compute(g, {0, 9999}, LinkCostOptions{}, &c).ok());
  EXPECT_FALSE(LinkCosts::Compute(g, {g.Find("h0"), g.Find("gpu0")}, LinkCostOptions{}, &c).ok());
  // Two islands.
  Graph islands;
  Node a;
  a.kind = NodeKind::kGpu;
  a.id = "a";
  Node b = a;
  b.id = "b";
  islands.AddNode(a);
  islands.AddNode(b);
  Status s = LinkCosts::Compute(islands, {0, 1}, LinkCostOptions{}, &c);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("no path between 'a' and 'b'"), std::string::npos) << s.message();

  std::vector<NodeId> nodes;
  EXPECT_FALSE(PlaceRanks(g, 9, PlaceOptions{}, &nodes).ok());
  PlaceOptions two;
  two.ranks_per_device = 2;
  ASSERT_TRUE(PlaceRanks(g, 16, two, &nodes).ok());
  EXPECT_EQ(nodes[0], nodes[1]);
  EXPECT_NE(nodes[1], nodes[2]);
  EXPECT_EQ(FindDevice(g, g.Find("h0"), NodeKind::kGpu, 6), g.Find("gpu6"));
  EXPECT_EQ(FindDevice(g, g.Find("h0"), NodeKind::kGpu, 8), kNoNode);
  Graph pci = g;
  pci.mutable_node(pci.Find("gpu5")).pci = "0000:9a:00.0";
  NodeId h0 = pci.Find("h0");
  EXPECT_EQ(FindDeviceByPci(pci, h0, "0000:9a:00.0"), pci.Find("gpu5"));
  EXPECT_EQ(FindDeviceByPci(pci, h0, "00000000:9A:00.0"), pci.Find("gpu5"));
  EXPECT_EQ(FindDeviceByPci(pci, h0, "9a:00.0"), pci.Find("gpu5"));
  EXPECT_EQ(FindDeviceByPci(pci, h0, "0000:9b:00.0"), kNoNode);
  EXPECT_EQ(FindDeviceByPci(pci, h0, "9a:00.0x"), kNoNode);
  EXPECT_EQ(FindDeviceByPci(pci, h0, "garbage"), kNoNode);
  PlaceOptions cores;
  cores.on = PlaceOn::kHostCores;
  Graph ua = MakeUalinkPod(64);
  EXPECT_FALSE(PlaceRanks(ua, 4, cores, &nodes).ok());  // its hosts model no CPUs
}

TEST(TopologyLinkCosts, UalinkPodAtScale) {
  Graph g = MakeUalinkPod(256);
  LinkCosts c = Costs(g, OnAccelerators(g, 256));
  EXPECT_EQ(c.Groups(LinkLevel::kSwitchDomain).size(), 1u);
  EXPECT_EQ(c.Hosts().size(), 32u);
  EXPECT_EQ(c.Pair(0, 63).hops, 2);  // same leaf
  EXPECT_EQ(c.Pair(0, 64).hops, 4);  // through a spine
  EXPECT_NEAR(c.Pair(0, 64).bw_gbps, 400 * 0.93, 1e-9);
  EXPECT_LT(c.Pair(0, 63).alpha_s, c.Pair(0, 64).alpha_s);
  EXPECT_FALSE(c.Pair(0, 64).switch_reduce);
}

}  // namespace
}  // namespace chorus::topo
