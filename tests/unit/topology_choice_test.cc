// The tuner on the topology graph (tune/topology_model.h): the LinkModel and hints built from the
// bundled machines, what the tuner picks on each at a few sizes, and proof that the pick follows
// the cost model (change a link, the pick moves the predicted way). chorus-topo --plan prints the
// same choices.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "topology/machines.h"
#include "algorithms/registry.h"
#include "tune/simulator.h"
#include "tune/topology_model.h"
#include "tune/tuner.h"

namespace chorus::tune {
namespace {

using topo::Graph;
using topo::NodeId;

constexpr double kKiB = 1024, kMiB = 1024 * 1024;

Graph Builtin(const std::string& name) {
  Graph g;
  Status s = topo::MakeBuiltin(name, &g);
  EXPECT_TRUE(s.ok()) << s.message();
  return g;
}

std::vector<NodeId> Place(const Graph& g, int n, topo::PlaceOn on = topo::PlaceOn::kAccelerators,
                          int per_device = 1) {
  topo::PlaceOptions o;
  o.on = on;
  o.ranks_per_device = per_device;
  std::vector<NodeId> nodes;
  Status s = topo::PlaceRanks(g, n, o, &nodes);
  EXPECT_TRUE(s.ok()) << s.message();
  return nodes;
}

TopologyModel Model(const Graph& g, const std::vector<NodeId>& nodes) {
  TopologyModel tm;
  Status s = ModelFromTopology(g, nodes, TopologyModelOptions{}, &tm);
  EXPECT_TRUE(s.ok()) << s.message();
  return tm;
}

// What the tuner picks for a sum of `bytes` (the largest buffer of a rank, as nccl-tests counts)
// with up to 4 channels.
Choice Pick(const TopologyModel& tm, Collective coll, double bytes, DataType dtype = DataType::kFloat32) {
  sched::CollArgs a;
  a.coll = coll;
  a.nranks = tm.hints.nranks;
  a.elem_size = SizeOf(dtype);
  const bool per_rank = coll == Collective::kAllGather || coll == Collective::kReduceScatter ||
                        coll == Collective::kAllToAll;
  a.count = std::max<Count>(1, static_cast<Count>(bytes / static_cast<double>(a.elem_size) /
                                                  (per_rank ? a.nranks : 1)));
  a.channels = 4;
  Choice c;
  Status s = ApplyTopologyHints(tm.hints, dtype, &a);
  EXPECT_TRUE(s.ok()) << s.message();
  s = Choose(a, tm.model, AlgoOverride(), &c);
  EXPECT_TRUE(s.ok()) << s.message();
  return c;
}

std::string PickName(const TopologyModel& tm, Collective coll, double bytes,
                     DataType dtype = DataType::kFloat32) {
  Choice c = Pick(tm, coll, bytes, dtype);
  return c.algorithm ? c.algorithm->name : "(none)";
}

// A copy of `g` with the bandwidth of every link of type `type` multiplied by `factor`.
Graph ScaleLinks(const Graph& g, topo::LinkType type, double factor) {
  Graph out;
  out.name = g.name;
  for (const topo::Node& n : g.nodes()) out.AddNode(n);
  for (topo::Link l : g.links()) {
    if (l.type == type) l.bw_gbps *= factor;
    out.AddLink(l);
  }
  return out;
}

// The smallest of the sizes 8 B, 32 B, ..., 256 MiB (x4) at which all-reduce is not `algo`.
double FirstSizeNot(const TopologyModel& tm, const std::string& algo) {
  for (double b = 8; b <= 256 * kMiB; b *= 4) {
    if (PickName(tm, Collective::kAllReduce, b) != algo) return b;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// The model's figures

TEST(TopologyModel, NvswitchBoardFigures) {
  Graph g = Builtin("dgx-h100");
  TopologyModel tm = Model(g, Place(g, 8));
  const double nvlink = 450 * 0.82e9;  // 18 NVLink 4 links at NCCL's efficiency, bytes/s
  LinkCost c = tm.model.link(0, 5);
  EXPECT_NEAR(c.alpha_s, 0.6e-6, 1e-15);  // GPU -> NVSwitch -> GPU
  EXPECT_NEAR(c.beta_s_per_byte, 1 / nvlink, 1e-20);
  // The ports of a GPU are its 18 NVLinks, used both ways at once.
  EXPECT_NEAR(tm.model.endpoint_beta_s_per_byte, 1 / (2 * nvlink), 1e-20);
  EXPECT_NEAR(tm.model.gamma_s_per_byte, 3 / 3350e9, 1e-20);
  EXPECT_NEAR(tm.model.copy_s_per_byte, 2 / 3350e9, 1e-20);
  EXPECT_FALSE(static_cast<bool>(tm.model.domain));  // one rank per GPU: nothing shares memory
  EXPECT_EQ(tm.hints.nranks, 8);
  EXPECT_EQ(tm.hints.ranks_per_node, 0);  // one host
  EXPECT_TRUE(tm.hints.reducing_switch);
  EXPECT_EQ(tm.hints.switch_name, "nvswitch");
  EXPECT_NEAR(tm.model.switch_alpha_s, 4 * 0.6e-6, 1e-15);
  EXPECT_NEAR(tm.model.switch_beta_s_per_byte, 1 / (0.74 * nvlink), 1e-20);
  EXPECT_NE(tm.description.find("reducing switch nvswitch"), std::string::npos) << tm.description;
}

TEST(TopologyModel, MeshPcieAndNvl72Figures) {
  Graph mi = Builtin("mi300x-8");
  TopologyModel mesh = Model(mi, Place(mi, 8));
  // Seven direct xGMI links, each 64 GB/s at 0.75: the sum is the GPU's port, one link a pair.
  EXPECT_NEAR(mesh.model.endpoint_beta_s_per_byte, 1 / (2 * 7 * 48e9), 1e-20);
  EXPECT_NEAR(mesh.model.link(2, 6).beta_s_per_byte, 1 / 48e9, 1e-20);
  EXPECT_FALSE(mesh.hints.reducing_switch);

  Graph pcie = Builtin("pcie-8gpu-2socket");
  TopologyModel box = Model(pcie, Place(pcie, 8));
  EXPECT_NEAR(box.model.endpoint_beta_s_per_byte, 1 / (2 * 31.5 * 0.76e9), 1e-20);
  EXPECT_LT(box.model.link(0, 1).alpha_s, box.model.link(0, 7).alpha_s);  // same switch vs UPI

  Graph nvl = Builtin("gb200-nvl72");
  TopologyModel rack = Model(nvl, Place(nvl, 72));
  EXPECT_EQ(rack.hints.ranks_per_node, 4);  // 18 trays of 4 GPUs
  EXPECT_TRUE(rack.hints.reducing_switch);
  EXPECT_EQ(rack.hints.switch_name, "nvl72");
  // NVLink 5 to the switch group only: the C2C link to Grace is no port toward other GPUs.
  EXPECT_NEAR(rack.model.endpoint_beta_s_per_byte, 1 / (2 * 900 * 0.82e9), 1e-20);
}

TEST(TopologyModel, FatTreeFigures) {
  Graph g = Builtin("fat-tree-4x-dgx");
  TopologyModel tm = Model(g, Place(g, 32));
  EXPECT_EQ(tm.hints.ranks_per_node, 8);
  EXPECT_FALSE(tm.hints.reducing_switch);  // four NVSwitch domains, none holds every rank
  // NVLink plus the PCIe link toward the NIC.
  EXPECT_NEAR(tm.model.endpoint_beta_s_per_byte, 1 / (2 * (450 * 0.82 + 63 * 0.76) * 1e9), 1e-20);
  LinkCost in = tm.model.link(0, 7), out = tm.model.link(0, 8);
  EXPECT_LT(in.alpha_s, out.alpha_s);
  EXPECT_NEAR(out.beta_s_per_byte, 1 / (50 * 0.92e9), 1e-20);

  // Ranks not grouped by host (or unevenly) give no ranks_per_node.
  std::vector<NodeId> nodes = Place(g, 32), interleaved;
  for (int i = 0; i < 8; ++i)
    for (int h = 0; h < 4; ++h) interleaved.push_back(nodes[static_cast<size_t>(h * 8 + i)]);
  EXPECT_EQ(Model(g, interleaved).hints.ranks_per_node, 0);
  EXPECT_EQ(Model(g, Place(g, 12)).hints.ranks_per_node, 0);
  EXPECT_EQ(Model(g, Place(g, 16)).hints.ranks_per_node, 8);
}

TEST(TopologyModel, HostRanksUseTheShmCalibrationAndShareMemory) {
  Graph g = Builtin("cpu-2socket");
  // Four ranks on each socket.
  NodeId numa0 = g.Find("numa0"), numa1 = g.Find("numa1");
  ASSERT_NE(numa0, topo::kNoNode);
  std::vector<NodeId> nodes = {numa0, numa0, numa0, numa0, numa1, numa1, numa1, numa1};
  TopologyModel tm = Model(g, nodes);
  const LinkModel host = DefaultHostModel();
  LinkCost same = tm.model.link(0, 1), cross = tm.model.link(0, 4);
  EXPECT_NEAR(same.alpha_s, host.link(0, 1).alpha_s, 1e-15);
  EXPECT_NEAR(same.beta_s_per_byte, host.link(0, 1).beta_s_per_byte, 1e-20);
  // Across the UPI: memory, socket link and memory latencies on top.
  EXPECT_NEAR(cross.alpha_s, host.link(0, 1).alpha_s + 0.3e-6, 1e-15);
  EXPECT_EQ(tm.model.endpoint_beta_s_per_byte, host.endpoint_beta_s_per_byte);
  EXPECT_EQ(tm.model.gamma_s_per_byte, host.gamma_s_per_byte);
  ASSERT_TRUE(static_cast<bool>(tm.model.domain));
  EXPECT_EQ(tm.model.domain(0), tm.model.domain(7));  // one host's memory
  // Two sockets of 8-channel DDR5-4800, each message byte through memory four times.
  EXPECT_NEAR(tm.model.domain_beta_s_per_byte, 1 / (2 * 307.2e9 / 4), 1e-20);
  EXPECT_FALSE(tm.hints.reducing_switch);
  EXPECT_EQ(tm.hints.ranks_per_node, 0);
}

TEST(TopologyModel, HostWithoutMemoryFiguresIsTheCalibratedHost) {
  // Detection rarely knows a NUMA node's bandwidth: then the calibrated figures stand.
  Graph full = Builtin("cpu-2socket"), g;
  g.name = full.name;
  for (topo::Node n : full.nodes()) {
    if (n.kind == topo::NodeKind::kNuma) n.bw_gbps = 0;
    g.AddNode(n);
  }
  for (const topo::Link& l : full.links()) g.AddLink(l);
  TopologyModel tm = Model(g, Place(g, 4, topo::PlaceOn::kHostCores));
  const LinkModel host = DefaultHostModel();
  for (Rank a = 0; a < 4; ++a) {
    for (Rank b = 0; b < 4; ++b) {
      if (a == b) continue;
      EXPECT_EQ(tm.model.link(a, b).alpha_s, host.link(a, b).alpha_s);
      EXPECT_EQ(tm.model.link(a, b).beta_s_per_byte, host.link(a, b).beta_s_per_byte);
    }
  }
  EXPECT_EQ(tm.model.domain_beta_s_per_byte, host.domain_beta_s_per_byte);
  EXPECT_EQ(tm.model.endpoint_beta_s_per_byte, host.endpoint_beta_s_per_byte);
  EXPECT_EQ(tm.model.gamma_s_per_byte, host.gamma_s_per_byte);
  EXPECT_EQ(tm.model.copy_s_per_byte, host.copy_s_per_byte);
  EXPECT_EQ(tm.model.pipeline_bytes, host.pipeline_bytes);
  // So the tuner picks as on the calibrated host.
  for (double b : {8.0, 64 * kKiB, 16 * kMiB}) {
    sched::CollArgs a;
    a.nranks = 4;
    a.count = static_cast<Count>(b / 4);
    a.channels = 4;
    Choice on_graph, calibrated;
    ASSERT_TRUE(ApplyTopologyHints(tm.hints, DataType::kFloat32, &a).ok());
    ASSERT_TRUE(Choose(a, tm.model, AlgoOverride(), &on_graph).ok());
    ASSERT_TRUE(Choose(a, host, AlgoOverride(), &calibrated).ok());
    EXPECT_STREQ(on_graph.algorithm->name, calibrated.algorithm->name) << b << " B";
    EXPECT_NEAR(on_graph.est_seconds, calibrated.est_seconds, 1e-12) << b << " B";
  }
}

TEST(TopologyModel, RanksSharingAnAcceleratorShareItsMemoryAndPorts) {
  Graph g = Builtin("dgx-h100");
  TopologyModel tm = Model(g, Place(g, 16, topo::PlaceOn::kAccelerators, 2));
  ASSERT_TRUE(static_cast<bool>(tm.model.domain));
  EXPECT_EQ(tm.model.domain(0), tm.model.domain(1));
  EXPECT_NE(tm.model.domain(1), tm.model.domain(2));
  EXPECT_NEAR(tm.model.domain_beta_s_per_byte, 1 / (3350e9 / 2), 1e-20);
  EXPECT_NEAR(tm.model.endpoint_beta_s_per_byte, 2 / (2 * 450 * 0.82e9), 1e-20);
}

TEST(TopologyModel, HintsFollowTheSwitchCapabilities) {
  Graph g = Builtin("dgx-h100");
  TopologyModel tm = Model(g, Place(g, 8));
  sched::CollArgs a;
  a.nranks = 8;
  a.op = ReduceOp::kSum;
  ASSERT_TRUE(ApplyTopologyHints(tm.hints, DataType::kBfloat16, &a).ok());
  EXPECT_TRUE(a.has_reducing_switch);
  ASSERT_TRUE(ApplyTopologyHints(tm.hints, DataType::kInt8, &a).ok());
  EXPECT_FALSE(a.has_reducing_switch);  // NVLS does not add 8-bit integers
  a.op = ReduceOp::kProd;
  ASSERT_TRUE(ApplyTopologyHints(tm.hints, DataType::kFloat32, &a).ok());
  EXPECT_FALSE(a.has_reducing_switch);
  a.nranks = 4;
  EXPECT_FALSE(ApplyTopologyHints(tm.hints, DataType::kFloat32, &a).ok());

  Graph ft = Builtin("fat-tree-4x-dgx");
  TopologyModel tree = Model(ft, Place(ft, 32));
  a.nranks = 32;
  a.op = ReduceOp::kSum;
  ASSERT_TRUE(ApplyTopologyHints(tree.hints, DataType::kFloat32, &a).ok());
  EXPECT_FALSE(a.has_reducing_switch);
  EXPECT_EQ(a.ranks_per_node, 8);
}

TEST(TopologyModel, NameTellsMachinesApartAndErrorsAreReported) {
  Graph g = Builtin("mi300x-8");
  std::vector<NodeId> nodes = Place(g, 8);
  EXPECT_EQ(Model(g, nodes).model.name, Model(g, nodes).model.name);
  Graph faster = ScaleLinks(g, topo::LinkType::kXgmi, 2);
  EXPECT_NE(Model(g, nodes).model.name, Model(faster, nodes).model.name);
  EXPECT_NE(Model(g, nodes).model.name, Model(g, Place(g, 4)).model.name);

  TopologyModel tm;
  EXPECT_FALSE(ModelFromTopology(g, {}, TopologyModelOptions{}, &tm).ok());
  EXPECT_FALSE(ModelFromTopology(g, {g.num_nodes()}, TopologyModelOptions{}, &tm).ok());
  EXPECT_FALSE(ModelFromTopology(g, {g.Find("h0")}, TopologyModelOptions{}, &tm).ok());
  TopologyModelOptions bad;
  bad.switch_efficiency = 0;
  EXPECT_FALSE(ModelFromTopology(g, nodes, bad, &tm).ok());
  bad = TopologyModelOptions{};
  bad.host_memory_passes = -1;
  EXPECT_FALSE(ModelFromTopology(g, nodes, bad, &tm).ok());
}

// ---------------------------------------------------------------------------------------------
// What the tuner picks on the bundled machines

TEST(TopologyChoice, NvswitchBoardOffloadsToTheSwitchBeyondTheLatencyRange) {
  Graph g = Builtin("dgx-h100");
  TopologyModel tm = Model(g, Place(g, 8));
  // Tiny: three exchanges of 0.6 us beat the switch's four latencies.
  EXPECT_EQ(PickName(tm, Collective::kAllReduce, 8), "recursive_doubling");
  EXPECT_EQ(PickName(tm, Collective::kAllReduce, kMiB), "switch_offload");
  EXPECT_EQ(PickName(tm, Collective::kAllReduce, 256 * kMiB), "switch_offload");
  // A type the switch cannot add falls back to the endpoints.
  EXPECT_NE(PickName(tm, Collective::kAllReduce, 256 * kMiB, DataType::kInt8), "switch_offload");
  EXPECT_EQ(PickName(tm, Collective::kBroadcast, 256 * kMiB), "chain");
}

TEST(TopologyChoice, Nvl72OffloadsToTheSwitch) {
  Graph g = Builtin("gb200-nvl72");
  TopologyModel tm = Model(g, Place(g, 72));
  for (double b : {64 * kKiB, kMiB, 256 * kMiB})
    EXPECT_EQ(PickName(tm, Collective::kAllReduce, b), "switch_offload") << b << " B";
}

TEST(TopologyChoice, FullMeshUsesDirectExchangeForBulk) {
  Graph g = Builtin("mi300x-8");
  TopologyModel tm = Model(g, Place(g, 8));
  EXPECT_EQ(PickName(tm, Collective::kAllReduce, 8), "recursive_doubling");
  // One ring uses 1/7 of the mesh; the direct exchange spreads over the links.
  EXPECT_EQ(PickName(tm, Collective::kAllReduce, kMiB), "two_shot");
  EXPECT_EQ(PickName(tm, Collective::kAllReduce, 256 * kMiB), "two_shot");
}

TEST(TopologyChoice, PcieBoxRingsBulk) {
  Graph g = Builtin("pcie-8gpu-2socket");
  TopologyModel tm = Model(g, Place(g, 8));
  EXPECT_EQ(PickName(tm, Collective::kAllReduce, 8), "recursive_doubling");
  EXPECT_EQ(PickName(tm, Collective::kAllReduce, kMiB), "ring");
  EXPECT_EQ(PickName(tm, Collective::kAllReduce, 256 * kMiB), "ring");
  EXPECT_EQ(PickName(tm, Collective::kBroadcast, 256 * kMiB), "chain");
}

TEST(TopologyChoice, HostCoresLatencyThenBandwidthOptimal) {
  Graph g = Builtin("cpu-2socket");
  NodeId numa0 = g.Find("numa0"), numa1 = g.Find("numa1");
  TopologyModel tm = Model(g, {numa0, numa0, numa0, numa0, numa1, numa1, numa1, numa1});
  EXPECT_EQ(PickName(tm, Collective::kAllReduce, 8), "recursive_doubling");
  // Bandwidth-optimal: 2(p-1)/p of the data per rank (not log p or p-1 times it).
  std::string bulk = PickName(tm, Collective::kAllReduce, 256 * kMiB);
  EXPECT_TRUE(bulk == "rabenseifner" || bulk == "ring" || bulk == "two_shot") << bulk;
}

TEST(TopologyChoice, UalinkPodHalvesAndDoubles) {
  Graph g = topo::MakeUalinkPod(128);  // two leaves: pairs across the spines too
  TopologyModel tm = Model(g, Place(g, 128));
  EXPECT_EQ(PickName(tm, Collective::kAllReduce, 8), "recursive_doubling");
  EXPECT_EQ(PickName(tm, Collective::kAllReduce, 256 * kMiB), "rabenseifner");
}

TEST(TopologyChoice, AcrossHostsLatencyAlgorithmsSmallHierarchicalLarge) {
  Graph g = Builtin("fat-tree-4x-dgx");
  TopologyModel tm = Model(g, Place(g, 32));
  EXPECT_EQ(PickName(tm, Collective::kAllReduce, 8), "recursive_doubling");
  EXPECT_EQ(PickName(tm, Collective::kAllReduce, 64 * kKiB), "recursive_doubling");
  EXPECT_EQ(PickName(tm, Collective::kAllReduce, 256 * kMiB), "hierarchical");
}

// ---------------------------------------------------------------------------------------------
// The pick follows the cost model: change one kind of link and the choice moves the predicted way

TEST(TopologyChoice, FasterMeshLinksKeepTheLatencyAlgorithmLonger) {
  // Recursive doubling costs log p (alpha + n beta), the bandwidth algorithms ~2 log p alpha +
  // 2 n beta (p-1)/p: the crossover grows with alpha / beta, so faster links move it up.
  Graph g = Builtin("mi300x-8");
  double last = 0;
  for (double f : {1.0, 4.0, 8.0}) {
    TopologyModel tm = Model(ScaleLinks(g, topo::LinkType::kXgmi, f), Place(g, 8));
    double at = FirstSizeNot(tm, "recursive_doubling");
    ASSERT_GT(at, 0) << "xGMI x" << f;
    EXPECT_GT(at, last) << "xGMI x" << f;
    last = at;
  }
}

TEST(TopologyChoice, SlowerNetworkMakesHierarchicalWinEarlier) {
  // Hierarchical sends 1/8 of the data between hosts: the slower the network relative to NVLink,
  // the smaller the size from which it pays off; as fast as NVLink (and PCIe to the NIC), never.
  Graph g = Builtin("fat-tree-4x-dgx");
  auto first_hierarchical = [&](const Graph& graph) {
    TopologyModel tm = Model(graph, Place(graph, 32));
    for (double b = 8; b <= 256 * kMiB; b *= 4) {
      if (PickName(tm, Collective::kAllReduce, b) == "hierarchical") return b;
    }
    return 0.0;
  };
  double base = first_hierarchical(g);
  double slow = first_hierarchical(ScaleLinks(g, topo::LinkType::kNetwork, 0.125));
  ASSERT_GT(base, 0);
  ASSERT_GT(slow, 0);
  EXPECT_LT(slow, base);
  Graph fast = ScaleLinks(ScaleLinks(g, topo::LinkType::kNetwork, 8), topo::LinkType::kPcie, 8);
  EXPECT_EQ(first_hierarchical(fast), 0.0);
}

// ---------------------------------------------------------------------------------------------
// Shared links: a NIC (or any hop) several ranks cross is one bandwidth

// What `algo` costs on `tm` for `bytes` (as Pick counts them) with and without its shared links.
std::pair<double, double> WithAndWithoutSharing(const TopologyModel& tm, const char* algo, Collective coll,
                                                double bytes) {
  sched::CollArgs a;
  a.coll = coll;
  a.nranks = tm.hints.nranks;
  a.elem_size = 4;
  const bool per_rank = coll == Collective::kAllToAll || coll == Collective::kAllGather;
  a.count = static_cast<Count>(bytes / 4 / (per_rank ? a.nranks : 1));
  a.channels = 1;
  EXPECT_TRUE(ApplyTopologyHints(tm.hints, DataType::kFloat32, &a).ok());
  LinkModel apart = tm.model;
  apart.shared = nullptr;
  SimResult with, without;
  Status s = EstimateAlgorithm(*sched::FindAlgorithm(algo), a, tm.model, &with);
  EXPECT_TRUE(s.ok()) << s.message();
  s = EstimateAlgorithm(*sched::FindAlgorithm(algo), a, apart, &without);
  EXPECT_TRUE(s.ok()) << s.message();
  return {with.seconds, without.seconds};
}

TEST(TopologyChoice, RanksOfAHostShareItsNic) {
  // Two 2-socket hosts with one 100G NIC each, 8 host ranks per host (4 per socket): in an
  // all-to-all every rank's traffic to the other host crosses its host's one NIC.
  Graph node = Builtin("cpu-2socket"), g;
  ASSERT_TRUE(topo::MakeFatTree(node, 2, topo::FatTreeOptions{}, &g).ok());
  std::vector<NodeId> nodes;
  for (int h = 0; h < 2; ++h)
    for (int r = 0; r < 8; ++r) nodes.push_back(g.Find("n" + std::to_string(h) + ".numa" + std::to_string(r / 4)));
  for (NodeId n : nodes) ASSERT_NE(n, topo::kNoNode);
  TopologyModel tm = Model(g, nodes);
  EXPECT_EQ(tm.hints.ranks_per_node, 8);
  ASSERT_TRUE(static_cast<bool>(tm.model.shared));
  auto [with, without] = WithAndWithoutSharing(tm, "pairwise", Collective::kAllToAll, 64 * kMiB);
  // 8 ranks x 4.5 GB/s (one core per message) into 11.5 GB/s of usable NIC.
  EXPECT_GT(with, 2 * without) << with << " s shared, " << without << " s apart";
  // Inside a host nothing is shared beyond the memory domain: a ring within one host is unchanged.
  TopologyModel one_host = Model(g, std::vector<NodeId>(nodes.begin(), nodes.begin() + 8));
  auto [ring_with, ring_without] = WithAndWithoutSharing(one_host, "ring", Collective::kAllReduce, 64 * kMiB);
  EXPECT_NEAR(ring_with, ring_without, ring_without * 1e-9);
}

TEST(TopologyChoice, GpusSharingANicMakeTheRingBeatHierarchical) {
  // Four hosts of 8 PCIe GPUs with one NIC per socket (4 GPUs per NIC). Hierarchical's
  // inter-host phase runs 8 rings at once, 4 through each NIC; priced per pair it looked
  // cheapest at 256 MiB (est 21.8 ms against the ring's 23.0), priced on the shared NICs it is
  // not (~28 ms).
  Graph node = Builtin("pcie-8gpu-2socket"), g;
  ASSERT_TRUE(topo::MakeFatTree(node, 4, topo::FatTreeOptions{}, &g).ok());
  TopologyModel tm = Model(g, Place(g, 32));
  EXPECT_EQ(tm.hints.ranks_per_node, 8);
  EXPECT_EQ(PickName(tm, Collective::kAllReduce, 256 * kMiB), "ring");
  auto [with, without] = WithAndWithoutSharing(tm, "hierarchical", Collective::kAllReduce, 256 * kMiB);
  EXPECT_GT(with, 1.2 * without) << with << " s shared, " << without << " s apart";
}

TEST(TopologyChoice, SwitchOffloadGetsNoBandwidthFromMoreChannels) {
  Graph g = Builtin("dgx-h100");
  TopologyModel tm = Model(g, Place(g, 8));
  sched::CollArgs a;
  a.coll = Collective::kAllReduce;
  a.nranks = 8;
  a.count = 64 << 20;
  a.elem_size = 4;
  ASSERT_TRUE(ApplyTopologyHints(tm.hints, DataType::kFloat32, &a).ok());
  ASSERT_TRUE(a.has_reducing_switch);
  SimResult one, four;
  a.channels = 1;
  ASSERT_TRUE(EstimateAlgorithm(*sched::FindAlgorithm("switch_offload"), a, tm.model, &one).ok());
  a.channels = 4;
  ASSERT_TRUE(EstimateAlgorithm(*sched::FindAlgorithm("switch_offload"), a, tm.model, &four).ok());
  EXPECT_NEAR(four.seconds, one.seconds, one.seconds * 0.02);
  // Two ranks per GPU share its ports: the switch's aggregate halves each rank's rate.
  TopologyModel two = Model(g, Place(g, 16, topo::PlaceOn::kAccelerators, 2));
  EXPECT_NEAR(two.model.switch_aggregate_beta_s_per_byte * 16, 2 * tm.model.switch_aggregate_beta_s_per_byte * 8,
              tm.model.switch_aggregate_beta_s_per_byte * 1e-6);
}

// ---------------------------------------------------------------------------------------------
// chorus-topo --plan prints the same choices

// The chorus-topo binary, or "" (the caller skips).
std::string ChorusTopo() {
  const char* dir = std::getenv("CHORUS_BIN_DIR");
  if (dir == nullptr) return "";
  std::string bin = std::string(dir) + "/chorus-topo";
  if (std::FILE* f = std::fopen(bin.c_str(), "r")) {
    std::fclose(f);
    return bin;
  }
  return "";
}

// Runs chorus-topo with `args`; its output, and whether it exited 0.
bool RunChorusTopo(const std::string& bin, const std::string& args, std::string* out) {
  std::string cmd = bin + " " + args + " 2>&1";
  std::FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return false;
  char buf[512];
  while (std::fgets(buf, sizeof(buf), p) != nullptr) *out += buf;
  return pclose(p) == 0;
}

TEST(TopologyChoice, ChorusTopoPlan) {
  const std::string bin = ChorusTopo();
  if (bin.empty()) GTEST_SKIP() << "chorus-topo not built (or CHORUS_BIN_DIR not set)";
  std::string out;
  ASSERT_TRUE(RunChorusTopo(bin, "--builtin dgx-h100 --quiet --plan", &out)) << out;
  // One line per size range; the switch takes all-reduce up to 256 MiB.
  EXPECT_NE(out.find("reducing switch nvswitch"), std::string::npos) << out;
  size_t line = out.find("\nallreduce");
  ASSERT_NE(line, std::string::npos) << out;
  EXPECT_NE(out.find("8 B .. "), std::string::npos) << out;
  size_t last = out.rfind("\nallreduce");
  std::string row = out.substr(last + 1, out.find('\n', last + 1) - last - 1);
  EXPECT_NE(row.find("switch_offload"), std::string::npos) << row;
  EXPECT_NE(row.find(".. 256 MiB"), std::string::npos) << row;
  EXPECT_NE(row.find("busbw"), std::string::npos) << row;
  for (const char* coll : {"allgather", "reducescatter", "alltoall", "broadcast", "reduce "})
    EXPECT_NE(out.find(std::string("\n") + coll), std::string::npos) << coll << "\n" << out;
}

// chorus-topo --estimates: one column per algorithm, every row's pick the cheapest of its row
// (each algorithm is priced forced, as Choose prices it among the others).
TEST(TopologyChoice, ChorusTopoEstimates) {
  const std::string bin = ChorusTopo();
  if (bin.empty()) GTEST_SKIP() << "chorus-topo not built (or CHORUS_BIN_DIR not set)";
  std::string out;
  ASSERT_TRUE(RunChorusTopo(bin, "--builtin cpu-2socket --quiet --estimates --host-cores --ranks 4 --cores 2 --coll allreduce", &out)) << out;
  // Host ranks get the channels a communicator gets by default (CHORUS_CHANNELS unset: 1).
  EXPECT_NE(out.find("up to 1 channel;"), std::string::npos) << out;
  EXPECT_NE(out.find("4 ranks share 2 cores"), std::string::npos) << out;
  std::istringstream lines(out);
  std::string line;
  std::vector<std::string> header;
  int rows = 0;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string x; words >> x;) w.push_back(x);
    if (w.size() < 4 || w[0] != "allreduce") continue;
    if (w[1] == "size") {
      header.assign(w.begin() + 2, w.end() - 1);  // the algorithms, then "pick"
      EXPECT_EQ(w.back(), "pick");
      continue;
    }
    ASSERT_FALSE(header.empty()) << out;
    // "allreduce", the size as two words ("16", "B"), one cell per algorithm, the pick.
    ASSERT_EQ(w.size(), header.size() + 4) << line;
    double best = 0;
    std::string cheapest;
    for (size_t i = 0; i < header.size(); ++i) {
      const std::string& cell = w[3 + i];
      if (cell == "-") continue;
      const double us = std::stod(cell);
      EXPECT_GT(us, 0) << line;
      if (cheapest.empty() || us < best) best = us, cheapest = header[i];
    }
    const std::string& pick = w.back();
    auto col = std::find(header.begin(), header.end(), pick);
    ASSERT_NE(col, header.end()) << "pick " << pick << " has no column: " << line;
    // Equal to the cheapest within the cells' rounding (two decimals).
    EXPECT_LE(std::stod(w[3 + static_cast<size_t>(col - header.begin())]), best + 0.01) << line << " (cheapest " << cheapest << ")";
    ++rows;
  }
  // 16 B .. 256 MiB in steps of 4.
  EXPECT_EQ(rows, 13) << out;
  // Column names are the registry's (at least the two all-reduce algorithms every host has).
  EXPECT_NE(std::find(header.begin(), header.end(), "ring"), header.end()) << out;
  EXPECT_NE(std::find(header.begin(), header.end(), "one_shot"), header.end()) << out;
}

}  // namespace
}  // namespace chorus::tune
