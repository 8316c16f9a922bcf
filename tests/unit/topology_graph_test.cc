// The topology graph and its path queries: widest path with latency tie-break, no forwarding
// through accelerators, switch groups and parallel links summed, contention between flows.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "support/test_support.h"
#include "topology/graph.h"
#include "topology/machines.h"
#include "topology/path.h"

namespace chorus::topo {
namespace {

NodeId Add(Graph& g, NodeKind kind, const std::string& id, const std::string& group = "") {
  Node n;
  n.kind = kind;
  n.id = id;
  n.group = group;
  return g.AddNode(n);
}

void Connect(Graph& g, NodeId a, NodeId b, LinkType t, double bw, double lat) {
  Link l;
  l.a = a;
  l.b = b;
  l.type = t;
  l.bw_gbps = bw;
  l.latency_us = lat;
  g.AddLink(l);
}

TEST(TopologyNames, RoundTrip) {
  for (int i = 0; i < kNumNodeKinds; ++i) {
    NodeKind k;
    ASSERT_TRUE(ParseNodeKind(Name(static_cast<NodeKind>(i)), &k)) << i;
    EXPECT_EQ(static_cast<int>(k), i);
  }
  for (int i = 0; i < kNumLinkTypes; ++i) {
    LinkType t;
    ASSERT_TRUE(ParseLinkType(Name(static_cast<LinkType>(i)), &t)) << i;
    EXPECT_EQ(static_cast<int>(t), i);
  }
  NodeKind k;
  EXPECT_FALSE(ParseNodeKind("GPU", &k));
  EXPECT_FALSE(ParseNodeKind("switch", &k));
}

TEST(TopologyReduceCaps, FormatParse) {
  ReduceCaps c;
  c.Add(ReduceOp::kSum, DataType::kFloat32);
  c.Add(ReduceOp::kSum, DataType::kBfloat16);
  c.Add(ReduceOp::kMax, DataType::kInt32);
  EXPECT_EQ(FormatReduceCaps(c), "sum:bfloat16,float32;max:int32");
  ReduceCaps back;
  ASSERT_TRUE(ParseReduceCaps(FormatReduceCaps(c), &back).ok());
  EXPECT_EQ(back, c);
  EXPECT_TRUE(back.Supports(DataType::kFloat32, ReduceOp::kSum));
  EXPECT_FALSE(back.Supports(DataType::kFloat32, ReduceOp::kMax));
  EXPECT_FALSE(ParseReduceCaps("sum:float31", &back).ok());
  EXPECT_FALSE(ParseReduceCaps("plus:float32", &back).ok());
  EXPECT_FALSE(ParseReduceCaps("sum float32", &back).ok());
  EXPECT_FALSE(ParseReduceCaps("SUM:float32", &back).ok());
}

TEST(TopologyGraph, ValidateCatchesBadGraphs) {
  Graph g;
  NodeId a = Add(g, NodeKind::kGpu, "a");
  NodeId b = Add(g, NodeKind::kGpu, "b");
  Connect(g, a, b, LinkType::kNvlink, 10, 1);
  EXPECT_TRUE(g.Validate().ok());

  Graph dup = g;
  Add(dup, NodeKind::kNic, "a");
  EXPECT_NE(dup.Validate().message().find("duplicate"), std::string::npos);

  Graph bw = g;
  Connect(bw, a, b, LinkType::kPcie, -1, 1);
  EXPECT_NE(bw.Validate().message().find("bandwidth"), std::string::npos);

  Graph lat = g;
  Connect(lat, a, b, LinkType::kPcie, 1, -0.5);
  EXPECT_NE(lat.Validate().message().find("latency"), std::string::npos);

  Graph self = g;
  Connect(self, a, a, LinkType::kPcie, 1, 1);
  EXPECT_FALSE(self.Validate().ok());

  Graph group = g;
  group.mutable_node(a).group = "x";
  EXPECT_NE(group.Validate().message().find("not a switch"), std::string::npos);

  Graph host = g;
  host.mutable_node(a).host = b;  // b is not a host
  EXPECT_FALSE(host.Validate().ok());
}

TEST(TopologyPath, WidestThenLowestLatency) {
  // s -- x -- t is wide and slow, s -- y -- t narrow and fast, s -- z -- t wide and fast.
  Graph g;
  NodeId s = Add(g, NodeKind::kGpu, "s");
  NodeId t = Add(g, NodeKind::kGpu, "t");
  NodeId x = Add(g, NodeKind::kPcieSwitch, "x");
  NodeId y = Add(g, NodeKind::kPcieSwitch, "y");
  Connect(g, s, x, LinkType::kPcie, 100, 5);
  Connect(g, x, t, LinkType::kPcie, 100, 5);
  Connect(g, s, y, LinkType::kPcie, 10, 0.1);
  Connect(g, y, t, LinkType::kPcie, 10, 0.1);
  Router r1(g);
  PathInfo p = r1.Between(s, t);
  ASSERT_TRUE(p.reachable);
  EXPECT_DOUBLE_EQ(p.bw_gbps, 100);
  EXPECT_DOUBLE_EQ(p.latency_us, 10);
  ASSERT_EQ(p.hops.size(), 2u);
  EXPECT_EQ(p.hops[0].to, x);

  NodeId z = Add(g, NodeKind::kPcieSwitch, "z");
  Connect(g, s, z, LinkType::kPcie, 100, 1);
  Connect(g, z, t, LinkType::kPcie, 200, 1);
  Router r2(g);
  p = r2.Between(s, t);
  EXPECT_DOUBLE_EQ(p.bw_gbps, 100);
  EXPECT_DOUBLE_EQ(p.latency_us, 2);
  EXPECT_EQ(p.hops[0].to, z);
  EXPECT_EQ(p.links.size(), 2u);
  EXPECT_TRUE(p.Crosses(LinkType::kPcie));
  EXPECT_FALSE(p.Crosses(LinkType::kNvlink));
}

TEST(TopologyPath, AcceleratorsDoNotForward) {
  Graph g;
  NodeId a = Add(g, NodeKind::kGpu, "a");
  NodeId b = Add(g, NodeKind::kGpu, "b");
  NodeId c = Add(g, NodeKind::kGpu, "c");
  Connect(g, a, b, LinkType::kXgmi, 64, 1);
  Connect(g, b, c, LinkType::kXgmi, 64, 1);
  Router r(g);
  EXPECT_TRUE(r.Between(a, b).reachable);
  EXPECT_FALSE(r.Between(a, c).reachable);
  // A switch does forward.
  NodeId sw = Add(g, NodeKind::kAccelSwitch, "sw");
  Connect(g, a, sw, LinkType::kNvlink, 10, 1);
  Connect(g, c, sw, LinkType::kNvlink, 10, 1);
  Router r2(g);
  PathInfo p = r2.Between(a, c);
  ASSERT_TRUE(p.reachable);
  EXPECT_DOUBLE_EQ(p.bw_gbps, 10);
}

TEST(TopologyPath, SwitchGroupsAndParallelLinksAreSummed) {
  Graph g = MakeDgxH100();
  Router r(g);
  PathInfo p = r.Between(g.Find("gpu0"), g.Find("gpu5"));
  ASSERT_TRUE(p.reachable);
  EXPECT_DOUBLE_EQ(p.bw_gbps, 450);  // 18 NVLink 4 links over the 4-switch group
  EXPECT_DOUBLE_EQ(p.latency_us, 0.6);
  EXPECT_EQ(p.hops.size(), 2u);
  EXPECT_EQ(p.links.size(), 8u);  // 4 GPU-switch bundles on each side
  EXPECT_NE(p.reducing_switch, kNoNode);
  EXPECT_EQ(g.node(p.reducing_switch).group, "nvswitch");

  // Two parallel links of one type between two nodes add up; of different types they do not.
  Graph h;
  NodeId a = Add(h, NodeKind::kCpu, "a");
  NodeId b = Add(h, NodeKind::kCpu, "b");
  Connect(h, a, b, LinkType::kSmp, 20, 1);
  Connect(h, a, b, LinkType::kSmp, 30, 1);
  Connect(h, a, b, LinkType::kPcie, 40, 1);
  EXPECT_DOUBLE_EQ(Router(h).Between(a, b).bw_gbps, 50);
}

TEST(TopologyPath, BundledMachines) {
  Graph pcie = MakePcie8Gpu2Socket();
  Router rp(pcie);
  PathInfo same_switch = rp.Between(pcie.Find("gpu0"), pcie.Find("gpu1"));
  EXPECT_DOUBLE_EQ(same_switch.bw_gbps, 31.5);
  EXPECT_DOUBLE_EQ(same_switch.latency_us, 1.0);
  PathInfo across = rp.Between(pcie.Find("gpu0"), pcie.Find("gpu7"));
  EXPECT_TRUE(across.Crosses(LinkType::kSmp));
  EXPECT_DOUBLE_EQ(across.bw_gbps, 31.5);
  EXPECT_GT(across.latency_us, same_switch.latency_us);

  Graph mi = MakeMi300x8();
  PathInfo direct = Router(mi).Between(mi.Find("gpu2"), mi.Find("gpu6"));
  EXPECT_EQ(direct.hops.size(), 1u);
  EXPECT_DOUBLE_EQ(direct.bw_gbps, 64);
  EXPECT_EQ(direct.hops[0].type, LinkType::kXgmi);

  Graph nvl = MakeGb200Nvl72();
  PathInfo far = Router(nvl).Between(nvl.Find("t0.gpu0"), nvl.Find("t17.gpu3"));
  EXPECT_DOUBLE_EQ(far.bw_gbps, 900);
  EXPECT_FALSE(far.Crosses(LinkType::kPcie));

  Graph ua = MakeUalinkPod(256);
  Router ru(ua);
  PathInfo leaf = ru.Between(ua.Find("h0.acc0"), ua.Find("h7.acc7"));   // accelerators 0 and 63
  PathInfo spine = ru.Between(ua.Find("h0.acc0"), ua.Find("h8.acc0"));  // accelerator 64
  EXPECT_EQ(leaf.hops.size(), 2u);
  EXPECT_EQ(spine.hops.size(), 4u);
  EXPECT_DOUBLE_EQ(leaf.bw_gbps, 400);
  EXPECT_DOUBLE_EQ(spine.bw_gbps, 400);
  EXPECT_GT(spine.latency_us, leaf.latency_us);
}

TEST(TopologyPath, FromMatchesBetween) {
  Graph g;
  ASSERT_TRUE(MakeFatTree(MakePcie8Gpu2Socket(), 2, FatTreeOptions{}, &g).ok());
  Router r(g);
  NodeId src = g.Find("n0.gpu3");
  std::vector<PathInfo> all = r.From(src);
  for (NodeId n = 0; n < g.num_nodes(); ++n) {
    if (g.node(n).kind == NodeKind::kHost) continue;
    PathInfo one = r.Between(src, n);
    ASSERT_EQ(all[static_cast<size_t>(n)].reachable, one.reachable) << g.node(n).id;
    if (!one.reachable || n == src) continue;
    EXPECT_DOUBLE_EQ(all[static_cast<size_t>(n)].bw_gbps, one.bw_gbps) << g.node(n).id;
    EXPECT_DOUBLE_EQ(all[static_cast<size_t>(n)].latency_us, one.latency_us) << g.node(n).id;
  }
}

// Brute force over all simple paths: the widest bottleneck, then the lowest latency.
void BruteForce(const Graph& g, NodeId src, NodeId dst, double* best_bw, double* best_lat) {
  *best_bw = -1;
  *best_lat = 0;
  std::vector<bool> on(static_cast<size_t>(g.num_nodes()), false);
  std::function<void(NodeId, double, double)> dfs = [&](NodeId u, double bw, double lat) {
    if (u == dst) {
      if (bw > *best_bw || (bw == *best_bw && lat < *best_lat)) {
        *best_bw = bw;
        *best_lat = lat;
      }
      return;
    }
    if (u != src && !IsForwarding(g.node(u).kind)) return;
    on[static_cast<size_t>(u)] = true;
    for (LinkId e : g.links_of(u)) {
      const Link& l = g.link(e);
      NodeId v = l.Other(u);
      if (!on[static_cast<size_t>(v)]) dfs(v, std::min(bw, l.bw_gbps), lat + l.latency_us);
    }
    on[static_cast<size_t>(u)] = false;
  };
  dfs(src, INFINITY, 0);
}

TEST(TopologyPath, RandomGraphsMatchBruteForce) {
  testing::Rng rng(20261122);
  const NodeKind kinds[] = {NodeKind::kGpu, NodeKind::kCpu, NodeKind::kPcieSwitch, NodeKind::kNic};
  for (int trial = 0; trial < 200; ++trial) {
    Graph g;
    int n = 3 + static_cast<int>(rng.Below(6));
    for (int i = 0; i < n; ++i) Add(g, kinds[rng.Below(4)], "n" + std::to_string(i));
    int m = n + static_cast<int>(rng.Below(static_cast<uint64_t>(2 * n)));
    for (int e = 0; e < m; ++e) {
      NodeId a = static_cast<NodeId>(rng.Below(static_cast<uint64_t>(n)));
      NodeId b = static_cast<NodeId>(rng.Below(static_cast<uint64_t>(n)));
      if (a == b) continue;
      // Few distinct values so that ties happen; one type per node pair so none are summed.
      bool exists = false;
      for (LinkId id : g.links_of(a)) exists |= g.link(id).Other(a) == b;
      if (exists) continue;
      Connect(g, a, b, LinkType::kPcie, static_cast<double>(1 + rng.Below(4)) * 10,
              static_cast<double>(1 + rng.Below(3)));
    }
    Router r(g);
    for (NodeId s = 0; s < n; ++s) {
      std::vector<PathInfo> from = r.From(s);
      for (NodeId t = 0; t < n; ++t) {
        if (s == t) continue;
        double bw, lat;
        BruteForce(g, s, t, &bw, &lat);
        const PathInfo& p = from[static_cast<size_t>(t)];
        ASSERT_EQ(p.reachable, bw > 0) << "trial " << trial << " " << s << "->" << t << "\n" << ToText(g);
        if (!p.reachable) continue;
        ASSERT_DOUBLE_EQ(p.bw_gbps, bw) << "trial " << trial << " " << s << "->" << t << "\n" << ToText(g);
        ASSERT_DOUBLE_EQ(p.latency_us, lat) << "trial " << trial << " " << s << "->" << t << "\n"
                                            << ToText(g);
        // The hops really form that path.
        double sum = 0, min_bw = INFINITY;
        NodeId at = s;
        for (const Hop& h : p.hops) {
          ASSERT_EQ(h.from, at);
          sum += h.latency_us;
          min_bw = std::min(min_bw, h.bw_gbps);
          at = h.to;
        }
        EXPECT_EQ(at, t);
        EXPECT_DOUBLE_EQ(sum, p.latency_us);
        EXPECT_DOUBLE_EQ(min_bw, p.bw_gbps);
      }
    }
  }
}

TEST(TopologyPath, ContentionOnSharedUplink) {
  Graph g = MakePcie8Gpu2Socket();
  Router r(g);
  // gpu0 and gpu1 share pcisw0's uplink; both send to the other socket.
  std::vector<Flow> flows = {{g.Find("gpu0"), g.Find("gpu4")}, {g.Find("gpu1"), g.Find("gpu6")}};
  Contention c = r.Share(flows);
  ASSERT_EQ(c.flow_bw_gbps.size(), 2u);
  EXPECT_DOUBLE_EQ(c.flow_bw_gbps[0], 31.5 / 2);
  EXPECT_DOUBLE_EQ(c.flow_bw_gbps[1], 31.5 / 2);
  bool uplink = false;
  for (const SharedHop& s : c.shared) {
    EXPECT_EQ(s.flows.size(), 2u);
    if (s.hop.from == g.Find("pcisw0") && s.hop.to == g.Find("cpu0")) uplink = true;
  }
  EXPECT_TRUE(uplink);

  // Opposite directions do not contend (links are full duplex).
  std::vector<Flow> duplex = {{g.Find("gpu0"), g.Find("gpu4")}, {g.Find("gpu4"), g.Find("gpu0")}};
  Contention d = r.Share(duplex);
  EXPECT_DOUBLE_EQ(d.flow_bw_gbps[0], 31.5);
  EXPECT_TRUE(d.shared.empty());
}

TEST(TopologyPath, NearestSwitches) {
  Graph g = MakeDgxH100();
  Router r(g);
  std::vector<NodeId> sw = r.NearestSwitches(g.Find("gpu3"));
  ASSERT_EQ(sw.size(), 1u);  // the four NVSwitch chips are one group
  EXPECT_EQ(g.node(sw[0]).group, "nvswitch");
  Graph pcie = MakePcie8Gpu2Socket();
  EXPECT_TRUE(Router(pcie).NearestSwitches(pcie.Find("gpu0")).empty());
}

}  // namespace
}  // namespace chorus::topo
