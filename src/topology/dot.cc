#include "topology/dot.h"

#include <sstream>

#include "topology/number.h"

namespace chorus::topo {

namespace {
std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '\\';  // backslashes stay: DOT reads \n in a label as a line break
    out += c;
  }
  return out + "\"";
}

const char* Shape(NodeKind k) {
  switch (k) {
    case NodeKind::kCpu: return "shape=box, style=filled, fillcolor=lightblue";
    case NodeKind::kNuma: return "shape=box, style=\"rounded,filled\", fillcolor=lightyellow";
    case NodeKind::kGpu: return "shape=box, style=filled, fillcolor=palegreen";
    case NodeKind::kNic: return "shape=hexagon, style=filled, fillcolor=orange";
    case NodeKind::kPcieSwitch: return "shape=ellipse, style=filled, fillcolor=lightgrey";
    case NodeKind::kAccelSwitch: return "shape=diamond, style=filled, fillcolor=plum";
    case NodeKind::kNetSwitch: return "shape=octagon, style=filled, fillcolor=gold";
    case NodeKind::kHost: return "shape=plaintext";
  }
  return "";
}

const char* Color(LinkType t) {
  switch (t) {
    case LinkType::kMemory: return "goldenrod";
    case LinkType::kSmp: return "blue";
    case LinkType::kPcie: return "black";
    case LinkType::kNvlink: return "green4";
    case LinkType::kXgmi: return "red3";
    case LinkType::kUalink: return "purple";
    case LinkType::kNetwork: return "darkorange3";
  }
  return "black";
}

void WriteNode(const Graph& g, NodeId id, const char* indent, std::ostringstream& os) {
  const Node& n = g.node(id);
  std::string label = n.id;
  if (!n.name.empty() && n.name != n.id) label += "\\n" + n.name;
  os << indent << Quote(n.id) << " [label=" << Quote(label) << ", " << Shape(n.kind) << "];\n";
}
}  // namespace

std::string ToDot(const Graph& g) {
  std::ostringstream os;
  os << "graph " << Quote(g.name.empty() ? "topology" : g.name) << " {\n";
  os << "  graph [overlap=false, splines=true, fontname=Helvetica];\n";
  os << "  node [fontname=Helvetica, fontsize=10];\n  edge [fontname=Helvetica, fontsize=8];\n";
  int cluster = 0;
  for (NodeId h : g.NodesOfKind(NodeKind::kHost)) {
    const Node& host = g.node(h);
    os << "  subgraph cluster_" << cluster++
       << " {\n    label=" << Quote(host.name.empty() ? host.id : host.name) << ";\n";
    for (NodeId n = 0; n < g.num_nodes(); ++n) {
      if (g.node(n).host == h) WriteNode(g, n, "    ", os);
    }
    os << "  }\n";
  }
  for (NodeId n = 0; n < g.num_nodes(); ++n) {
    if (g.node(n).host == kNoNode && g.node(n).kind != NodeKind::kHost) WriteNode(g, n, "  ", os);
  }
  for (const Link& l : g.links()) {
    std::string label = std::string(Name(l.type));
    if (l.type == LinkType::kPcie && l.pcie_gen > 0) label += " gen" + std::to_string(l.pcie_gen);
    if (l.type == LinkType::kPcie && l.pcie_width > 0) label += " x" + std::to_string(l.pcie_width);
    if (l.count > 1) label += " x" + std::to_string(l.count);
    label += "\\n" + FormatDouble(l.bw_gbps) + " GB/s";
    os << "  " << Quote(g.node(l.a).id) << " -- " << Quote(g.node(l.b).id) << " [label=" << Quote(label)
       << ", color=" << Color(l.type) << "];\n";
  }
  os << "}\n";
  return os.str();
}

}  // namespace chorus::topo
