// Topology XML: every bundled file reads back to its builder's graph and writes back byte for
// byte; bad files fail with the line and the problem; CHORUS_TOPO_FILE / CHORUS_TOPO_DUMP_FILE.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "topology/detect.h"
#include "topology/dot.h"
#include "topology/machines.h"
#include "topology/xml.h"

namespace chorus::topo {
namespace {

// tests/unit/<this file> -> the source tree's root.
std::string SourceRoot() {
  std::string f = __FILE__;  // absolute in CMake builds
  for (int i = 0; i < 3; ++i) {
    size_t slash = f.find_last_of('/');
    if (slash == std::string::npos) return ".";  // a relative path: assume the source root is cwd
    f = f.substr(0, slash);
  }
  return f.empty() ? "/" : f;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string TempPath(const std::string& name) {
  return "/tmp/chorus_topology_xml_test_" + std::to_string(getpid()) + "_" + name;
}

#if CHORUS_HAVE_PUGIXML

TEST(TopologyXml, BundledFilesMatchTheirBuildersAndRoundTrip) {
  for (const std::string& name : BuiltinNames()) {
    SCOPED_TRACE(name);
    std::string path = SourceRoot() + "/topologies/" + name + ".xml";
    std::string text = ReadAll(path);
    ASSERT_FALSE(text.empty()) << path;
    Graph from_file;
    Status s = ReadXmlFile(path, &from_file);
    ASSERT_TRUE(s.ok()) << s.message();
    Graph built;
    ASSERT_TRUE(MakeBuiltin(name, &built).ok());
    // Regenerate with: chorus-topo --builtin NAME --quiet --xml topologies/NAME.xml
    EXPECT_TRUE(from_file == built) << "topologies/" << name << ".xml is stale";
    EXPECT_EQ(ToXml(from_file), text);
    // write -> read -> identical
    std::string tmp = TempPath(name + ".xml");
    ASSERT_TRUE(WriteXmlFile(from_file, tmp).ok());
    Graph again;
    ASSERT_TRUE(ReadXmlFile(tmp, &again).ok());
    EXPECT_TRUE(again == from_file);
    EXPECT_EQ(ReadAll(tmp), text);
    std::remove(tmp.c_str());
  }
}

TEST(TopologyXml, RoundTripKeepsEveryField) {
  Graph g;
  g.name = "odd & \"quoted\" <name>";
  Node h;
  h.kind = NodeKind::kHost;
  h.id = "h";
  h.name = "host one";
  h.hostid = "abc:123";
  h.index = 2;
  h.numa = 0;
  h.cores = 64;
  h.memory = 123;
  h.bw_gbps = 5;
  h.pci = "none";
  NodeId host = g.AddNode(h);
  Node n;
  n.kind = NodeKind::kGpu;
  n.id = "g'0";
  n.name = "GPU <0>";
  n.host = host;
  n.index = 3;
  n.numa = 1;
  n.memory = (1ull << 40) + 7;
  n.cores = 0;
  n.bw_gbps = 0.1 + 0.2;  // not exactly representable in short decimal
  n.pci = "0000:17:00.0";
  NodeId gpu = g.AddNode(n);
  Node sw;
  sw.kind = NodeKind::kNetSwitch;
  sw.id = "sw";
  sw.group = "spines";
  sw.reduce.Add(ReduceOp::kSum, DataType::kFloat8e4m3);
  sw.reduce.Add(ReduceOp::kAvg, DataType::kFloat64);
  NodeId s = g.AddNode(sw);
  Node late = n;  // a node of host h that comes after a node outside it
  late.id = "late";
  g.AddNode(late);
  Link l;
  l.a = gpu;
  l.b = s;
  l.type = LinkType::kPcie;
  l.bw_gbps = 1e-3;
  l.latency_us = 1.0 / 3;
  l.count = 7;
  l.pcie_gen = 6;
  l.pcie_width = 8;
  l.distance = 12;
  g.AddLink(l);
  ASSERT_TRUE(g.Validate().ok());
  Graph back;
  Status st = ReadXmlString(ToXml(g), "mem", &back);
  ASSERT_TRUE(st.ok()) << st.message() << "\n" << ToXml(g);
  EXPECT_TRUE(back == g) << ToXml(back);
  EXPECT_EQ(ToXml(back), ToXml(g));
}

struct BadFile {
  const char* what;
  const char* text;
  int line;
  const char* message;  // a substring of the error
};

// Line 1 is <topology ...>; fixtures put the offending element on the line given.
const BadFile kBadFiles[] = {
    {"malformed", "<topology version=\"1\">\n<node id=\"a\" kind=\"gpu\">\n</topology>\n", 3,
     "malformed XML"},
    {"wrong root", "\n<machine version=\"1\"/>\n", 2, "not <topology>"},
    {"no version", "<topology>\n</topology>\n", 1, "'version'"},
    {"future version", "<topology version=\"2\">\n</topology>\n", 1, "unsupported topology version '2'"},
    {"unknown kind",
     "<topology version=\"1\">\n<node id=\"a\" kind=\"gpu\"/>\n<node id=\"b\" kind=\"tpu\"/>\n</topology>\n",
     3, "unknown node kind 'tpu'"},
    {"link to missing node",
     "<topology version=\"1\">\n<node id=\"a\" kind=\"gpu\"/>\n\n<link a=\"a\" b=\"gpu9\" type=\"pcie\" "
     "bw=\"1\" lat=\"1\"/>\n</topology>\n",
     4, "link to missing node 'gpu9'"},
    {"negative bandwidth",
     "<topology version=\"1\">\n<node id=\"a\" kind=\"gpu\"/>\n<node id=\"b\" kind=\"cpu\"/>\n<link a=\"a\" "
     "b=\"b\" type=\"pcie\" "
     "bw=\"-5\" lat=\"1\"/>\n</topology>\n",
     4, "bw=\"-5\" is negative"},
    {"zero bandwidth",
     "<topology version=\"1\">\n<node id=\"a\" kind=\"gpu\"/>\n<node id=\"b\" kind=\"cpu\"/>\n<link a=\"a\" "
     "b=\"b\" type=\"pcie\" "
     "bw=\"0\" lat=\"1\"/>\n</topology>\n",
     4, "bw=\"0\" is out of range"},
    {"infinite bandwidth",
     "<topology version=\"1\">\n<node id=\"a\" kind=\"gpu\"/>\n<node id=\"b\" kind=\"cpu\"/>\n<link a=\"a\" "
     "b=\"b\" type=\"pcie\" "
     "bw=\"1e400\" lat=\"1\"/>\n</topology>\n",
     4, "not a finite number"},
    {"huge bandwidth",
     "<topology version=\"1\">\n<node id=\"a\" kind=\"gpu\"/>\n<node id=\"b\" kind=\"cpu\"/>\n<link a=\"a\" "
     "b=\"b\" type=\"pcie\" "
     "bw=\"2e7\" lat=\"1\"/>\n</topology>\n",
     4, "out of range"},
    {"negative latency",
     "<topology version=\"1\">\n<node id=\"a\" kind=\"gpu\"/>\n<node id=\"b\" kind=\"cpu\"/>\n\n\n<link "
     "a=\"a\" b=\"b\" "
     "type=\"pcie\" bw=\"5\" lat=\"-0.1\"/>\n</topology>\n",
     6, "lat=\"-0.1\" is negative"},
    {"bandwidth with junk",
     "<topology version=\"1\">\n<node id=\"a\" kind=\"gpu\"/>\n<node id=\"b\" kind=\"cpu\"/>\n<link a=\"a\" "
     "b=\"b\" type=\"pcie\" "
     "bw=\"5GB\" lat=\"1\"/>\n</topology>\n",
     4, "bw=\"5GB\" is not a finite number"},
    {"unknown link type",
     "<topology version=\"1\">\n<node id=\"a\" kind=\"gpu\"/>\n<node id=\"b\" kind=\"cpu\"/>\n<link a=\"a\" "
     "b=\"b\" type=\"cxl\" "
     "bw=\"5\" lat=\"1\"/>\n</topology>\n",
     4, "unknown link type 'cxl'"},
    {"duplicate id",
     "<topology version=\"1\">\n<node id=\"a\" kind=\"gpu\"/>\n<node id=\"a\" kind=\"nic\"/>\n</topology>\n",
     3, "duplicate id 'a' (first defined on line 2)"},
    {"typo in attribute",
     "<topology version=\"1\">\n<node id=\"a\" kind=\"gpu\" memroy=\"5\"/>\n</topology>\n", 2,
     "unknown attribute 'memroy'"},
    {"unknown element", "<topology version=\"1\">\n<switch id=\"a\"/>\n</topology>\n", 2,
     "unknown element <switch>"},
    {"numa out of range",
     "<topology version=\"1\">\n<node id=\"a\" kind=\"gpu\" numa=\"99999\"/>\n</topology>\n", 2,
     "numa=\"99999\" is out of range"},
    {"index not an integer",
     "<topology version=\"1\">\n<node id=\"a\" kind=\"gpu\" index=\"1.5\"/>\n</topology>\n", 2,
     "index=\"1.5\" is not an integer"},
    {"negative memory",
     "<topology version=\"1\">\n<node id=\"a\" kind=\"gpu\" memory=\"-1\"/>\n</topology>\n", 2,
     "memory=\"-1\""},
    {"negative node bandwidth",
     "<topology version=\"1\">\n<node id=\"a\" kind=\"numa\" bw=\"-3\"/>\n</topology>\n", 2,
     "bw=\"-3\" is negative"},
    {"count zero",
     "<topology version=\"1\">\n<node id=\"a\" kind=\"gpu\"/>\n<node id=\"b\" kind=\"cpu\"/>\n<link a=\"a\" "
     "b=\"b\" type=\"pcie\" "
     "bw=\"5\" lat=\"1\" count=\"0\"/>\n</topology>\n",
     4, "count=\"0\" is out of range"},
    {"pcie gen 9",
     "<topology version=\"1\">\n<node id=\"a\" kind=\"gpu\"/>\n<node id=\"b\" kind=\"cpu\"/>\n<link a=\"a\" "
     "b=\"b\" type=\"pcie\" "
     "bw=\"5\" lat=\"1\" gen=\"9\"/>\n</topology>\n",
     4, "gen=\"9\" is out of range"},
    {"pcie width 3",
     "<topology version=\"1\">\n<node id=\"a\" kind=\"gpu\"/>\n<node id=\"b\" kind=\"cpu\"/>\n<link a=\"a\" "
     "b=\"b\" type=\"pcie\" "
     "bw=\"5\" lat=\"1\" width=\"3\"/>\n</topology>\n",
     4, "width=\"3\" is not"},
    {"gen on nvlink",
     "<topology version=\"1\">\n<node id=\"a\" kind=\"gpu\"/>\n<node id=\"b\" kind=\"gpu\"/>\n<link a=\"a\" "
     "b=\"b\" type=\"nvlink\" "
     "bw=\"5\" lat=\"1\" gen=\"4\"/>\n</topology>\n",
     4, "PCIe only"},
    {"bad reduce",
     "<topology version=\"1\">\n<node id=\"s\" kind=\"net-switch\" reduce=\"sum:float31\"/>\n</topology>\n",
     2, "unknown data type 'float31'"},
    {"reduce on a gpu",
     "<topology version=\"1\">\n<node id=\"g\" kind=\"gpu\" reduce=\"sum:float32\"/>\n</topology>\n", 2,
     "only switches reduce"},
    {"group on a nic", "<topology version=\"1\">\n<node id=\"g\" kind=\"nic\" group=\"x\"/>\n</topology>\n",
     2, "only switches group"},
    {"missing host", "<topology version=\"1\">\n<node id=\"g\" kind=\"gpu\" host=\"h9\"/>\n</topology>\n", 2,
     "missing host 'h9'"},
    {"host that is a node",
     "<topology version=\"1\">\n<node id=\"c\" kind=\"cpu\"/>\n<node id=\"g\" kind=\"gpu\" "
     "host=\"c\"/>\n</topology>\n",
     3, "is not a <host>"},
    {"text in a node",
     "<topology version=\"1\">\n<host id=\"h\">\n<node id=\"g\" "
     "kind=\"gpu\">fast</node>\n</host>\n</topology>\n",
     3, "unexpected text"},
    {"node kind host", "<topology version=\"1\">\n<node id=\"h\" kind=\"host\"/>\n</topology>\n", 2,
     "<host> elements"},
    {"link to a host",
     "<topology version=\"1\">\n<host id=\"h\">\n<node id=\"g\" kind=\"gpu\"/>\n</host>\n<link a=\"g\" "
     "b=\"h\" type=\"pcie\" "
     "bw=\"5\" lat=\"1\"/>\n</topology>\n",
     5, "hosts are containers"},
    {"link without type",
     "<topology version=\"1\">\n<node id=\"a\" kind=\"gpu\"/>\n<node id=\"b\" kind=\"cpu\"/>\n<link a=\"a\" "
     "b=\"b\" bw=\"5\" "
     "lat=\"1\"/>\n</topology>\n",
     4, "lacks the required attribute 'type'"},
    {"link to itself",
     "<topology version=\"1\">\n<node id=\"a\" kind=\"gpu\"/>\n<link a=\"a\" b=\"a\" type=\"pcie\" bw=\"5\" "
     "lat=\"1\"/>\n</topology>\n",
     3, "to itself"},
    {"empty id", "<topology version=\"1\">\n<node id=\"\" kind=\"gpu\"/>\n</topology>\n", 2, "empty 'id'"},
};

TEST(TopologyXml, BadFilesNameTheLineAndTheProblem) {
  for (const BadFile& bad : kBadFiles) {
    Graph g;
    Status s = ReadXmlString(bad.text, "bad.xml", &g);
    ASSERT_FALSE(s.ok()) << bad.what;
    EXPECT_EQ(s.code(), chorusInvalidArgument) << bad.what;
    std::string where = "bad.xml:" + std::to_string(bad.line) + ": ";
    EXPECT_EQ(s.message().rfind(where, 0), 0u) << bad.what << ": " << s.message();
    EXPECT_NE(s.message().find(bad.message), std::string::npos) << bad.what << ": " << s.message();
  }
}

TEST(TopologyXml, MissingFileIsAnError) {
  Graph g;
  Status s = ReadXmlFile("/nonexistent/topology.xml", &g);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("/nonexistent/topology.xml"), std::string::npos);
}

TEST(TopologyXml, EnvironmentFileAndDump) {
  std::string src = SourceRoot() + "/topologies/pcie-8gpu-2socket.xml";
  std::string dump = TempPath("dump_%p.xml");
  std::string dumped = TempPath("dump_" + std::to_string(getpid()) + ".xml");
  setenv("CHORUS_TOPO_FILE", src.c_str(), 1);
  setenv("CHORUS_TOPO_DUMP_FILE", dump.c_str(), 1);
  Graph g;
  Status s = LoadTopology(&g);
  unsetenv("CHORUS_TOPO_DUMP_FILE");
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_TRUE(g == MakePcie8Gpu2Socket());
  EXPECT_EQ(ReadAll(dumped), ReadAll(src));
  std::remove(dumped.c_str());

  std::string bad = TempPath("bad.xml");
  {
    std::ofstream out(bad);
    out << "<topology version=\"1\">\n<node id=\"a\" kind=\"quantum\"/>\n</topology>\n";
  }
  setenv("CHORUS_TOPO_FILE", bad.c_str(), 1);
  s = LoadTopology(&g);
  unsetenv("CHORUS_TOPO_FILE");
  std::remove(bad.c_str());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(bad + ":2: unknown node kind 'quantum'"), std::string::npos) << s.message();
}

#endif  // CHORUS_HAVE_PUGIXML

TEST(TopologyDot, LabelsLinksWithTypeAndBandwidth) {
  std::string dot = ToDot(MakeDgxH100());
  EXPECT_EQ(dot.rfind("graph \"dgx-h100\" {", 0), 0u);
  EXPECT_NE(dot.find("\"gpu0\" -- \"nvs0\" [label=\"nvlink x5\\n125 GB/s\""), std::string::npos);
  EXPECT_NE(dot.find("\"gpu0\" -- \"pcisw0\" [label=\"pcie gen5 x16\\n63 GB/s\""), std::string::npos);
  EXPECT_NE(dot.find("subgraph cluster_0"), std::string::npos);
}

}  // namespace
}  // namespace chorus::topo
