// JoinHosts: per-rank host graphs merged into one, hosts deduplicated by hostid and joined by a
// network switch, so that link costs span hosts.
#include <gtest/gtest.h>

#include "topology/detect.h"
#include "topology/join.h"
#include "topology/link_costs.h"
#include "topology/machines.h"
#include "topology/xml.h"

namespace chorus::topo {
namespace {

Graph Minimal(const std::string& hostid) {
  DetectOptions o;
  o.use_hwloc = false;
  o.probe_nvml = false;
  o.probe_rocm = false;
  o.hostid = hostid;
  return Detect(o);
}

TEST(TopologyJoin, HostsDedupAndConnect) {
  Graph dgx = MakeDgxH100();
  dgx.mutable_node(dgx.Find("h0")).hostid = "B";
  std::vector<Graph> per_rank = {Minimal("A"), Minimal("A"), dgx, dgx};
  Graph g;
  std::vector<NodeId> host_of_rank;
  Status s = JoinHosts(per_rank, JoinOptions{}, &g, &host_of_rank);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_TRUE(g.Validate().ok());
  EXPECT_EQ(g.NodesOfKind(NodeKind::kHost).size(), 2u);
  ASSERT_EQ(host_of_rank.size(), 4u);
  EXPECT_EQ(host_of_rank[0], host_of_rank[1]);
  EXPECT_EQ(host_of_rank[2], host_of_rank[3]);
  EXPECT_NE(host_of_rank[0], host_of_rank[2]);
  EXPECT_EQ(g.node(host_of_rank[0]).hostid, "A");
  EXPECT_EQ(g.NodesOfKind(NodeKind::kGpu).size(), 8u);
  EXPECT_NE(g.Find("m1.gpu3"), kNoNode);
  EXPECT_EQ(g.node(g.Find("m1.nvs0")).group, "m1.nvswitch");
  // Host A had no NIC: one is assumed so that it connects.
  EXPECT_NE(g.Find("m0.nic-assumed"), kNoNode);
  ASSERT_NE(g.Find("net"), kNoNode);
  EXPECT_EQ(g.links_of(g.Find("net")).size(), 9u);  // 8 DGX NICs + the assumed one

  // Ranks 0,1 on host A's NUMA node, ranks 2,3 on DGX GPUs 0 and 1.
  std::vector<NodeId> nodes = {
      FindDevice(g, host_of_rank[0], NodeKind::kNuma, 0), FindDevice(g, host_of_rank[1], NodeKind::kNuma, 0),
      FindDevice(g, host_of_rank[2], NodeKind::kGpu, 0), FindDevice(g, host_of_rank[3], NodeKind::kGpu, 1)};
  for (NodeId n : nodes) ASSERT_NE(n, kNoNode);
  LinkCosts c;
  s = LinkCosts::Compute(g, nodes, LinkCostOptions{}, &c);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(c.Pair(0, 1).level, LinkLevel::kSameDevice);
  EXPECT_EQ(c.Pair(2, 3).level, LinkLevel::kSwitchDomain);
  EXPECT_EQ(c.Pair(1, 2).level, LinkLevel::kNetwork);
  EXPECT_EQ(c.Hosts().size(), 2u);

#if CHORUS_HAVE_PUGIXML
  // The exchange format survives the trip.
  std::vector<Graph> via_xml;
  for (const Graph& one : per_rank) {
    Graph back;
    ASSERT_TRUE(ReadXmlString(ToXml(one), "rank", &back).ok());
    via_xml.push_back(back);
  }
  Graph g2;
  std::vector<NodeId> h2;
  ASSERT_TRUE(JoinHosts(via_xml, JoinOptions{}, &g2, &h2).ok());
  EXPECT_TRUE(g2 == g);
#endif
}

TEST(TopologyJoin, SingleHostAndErrors) {
  Graph g;
  std::vector<NodeId> h;
  ASSERT_TRUE(JoinHosts({Minimal("A"), Minimal("A")}, JoinOptions{}, &g, &h).ok());
  EXPECT_EQ(g.NodesOfKind(NodeKind::kHost).size(), 1u);
  EXPECT_EQ(g.Find("net"), kNoNode);
  EXPECT_FALSE(JoinHosts({}, JoinOptions{}, &g, &h).ok());
  Graph two_hosts = MakeGb200Nvl72();
  Status s = JoinHosts({two_hosts}, JoinOptions{}, &g, &h);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("expected one"), std::string::npos);
}

}  // namespace
}  // namespace chorus::topo
