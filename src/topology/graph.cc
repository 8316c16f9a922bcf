#include "topology/graph.h"

#include <cmath>
#include <sstream>
#include <unordered_set>

#include "topology/number.h"

namespace chorus::topo {

namespace {
constexpr const char* kNodeKindNames[kNumNodeKinds] = {"host", "cpu",         "numa",         "gpu",
                                                       "nic",  "pcie-switch", "accel-switch", "net-switch"};
constexpr const char* kLinkTypeNames[kNumLinkTypes] = {"mem",  "smp",    "pcie", "nvlink",
                                                       "xgmi", "ualink", "net"};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

// Splits on `sep`, trimming each piece; empty pieces are kept (the caller rejects them).
std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    out.push_back(Trim(s.substr(start, pos == std::string_view::npos ? pos : pos - start)));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}
}  // namespace

const char* Name(NodeKind k) {
  int i = static_cast<int>(k);
  return (i >= 0 && i < kNumNodeKinds) ? kNodeKindNames[i] : "invalid";
}

const char* Name(LinkType t) {
  int i = static_cast<int>(t);
  return (i >= 0 && i < kNumLinkTypes) ? kLinkTypeNames[i] : "invalid";
}

bool ParseNodeKind(std::string_view s, NodeKind* out) {
  for (int i = 0; i < kNumNodeKinds; ++i) {
    if (s == kNodeKindNames[i]) {
      *out = static_cast<NodeKind>(i);
      return true;
    }
  }
  return false;
}

bool ParseLinkType(std::string_view s, LinkType* out) {
  for (int i = 0; i < kNumLinkTypes; ++i) {
    if (s == kLinkTypeNames[i]) {
      *out = static_cast<LinkType>(i);
      return true;
    }
  }
  return false;
}

bool IsForwarding(NodeKind k) {
  switch (k) {
    case NodeKind::kCpu:
    case NodeKind::kNic:
    case NodeKind::kPcieSwitch:
    case NodeKind::kAccelSwitch:
    case NodeKind::kNetSwitch: return true;
    case NodeKind::kHost:
    case NodeKind::kNuma:
    case NodeKind::kGpu: return false;
  }
  return false;
}

bool IsSwitch(NodeKind k) {
  return k == NodeKind::kPcieSwitch || k == NodeKind::kAccelSwitch || k == NodeKind::kNetSwitch;
}

bool IsAccelFabric(LinkType t) {
  return t == LinkType::kNvlink || t == LinkType::kXgmi || t == LinkType::kUalink;
}

bool ReduceCaps::any() const {
  for (uint32_t m : types) {
    if (m != 0) return true;
  }
  return false;
}

bool ReduceCaps::Supports(DataType t, ReduceOp op) const {
  if (!IsValid(t) || !IsValid(op)) return false;
  return (types[static_cast<int>(op)] >> static_cast<int>(t)) & 1u;
}

void ReduceCaps::Add(ReduceOp op, DataType t) {
  if (!IsValid(t) || !IsValid(op)) return;
  types[static_cast<int>(op)] |= 1u << static_cast<int>(t);
}

std::string FormatReduceCaps(const ReduceCaps& caps) {
  std::string out;
  for (int op = 0; op < kNumReduceOps; ++op) {
    if (caps.types[op] == 0) continue;
    if (!out.empty()) out += ';';
    out += Name(static_cast<ReduceOp>(op));
    out += ':';
    bool first = true;
    for (int t = 0; t < kNumDataTypes; ++t) {
      if (!((caps.types[op] >> t) & 1u)) continue;
      if (!first) out += ',';
      out += Name(static_cast<DataType>(t));
      first = false;
    }
  }
  return out;
}

Status ParseReduceCaps(std::string_view text, ReduceCaps* out) {
  ReduceCaps caps;
  if (Trim(text).empty()) {
    *out = caps;
    return Status::Ok();
  }
  for (std::string_view clause : Split(text, ';')) {
    size_t colon = clause.find(':');
    if (colon == std::string_view::npos) {
      return InvalidArgument("reduce clause '" + std::string(clause) + "' is not 'op:type,type'");
    }
    std::string op_name(Trim(clause.substr(0, colon)));
    ReduceOp op;
    // Only canonical names: ParseReduceOp is case-insensitive, files are not.
    if (!ParseReduceOp(op_name.c_str(), &op) || op_name != Name(op)) {
      return InvalidArgument("unknown reduction op '" + op_name + "'");
    }
    for (std::string_view type_sv : Split(clause.substr(colon + 1), ',')) {
      std::string type_name(type_sv);
      DataType t;
      if (!ParseDataType(type_name.c_str(), &t) || type_name != Name(t)) {
        return InvalidArgument("unknown data type '" + type_name + "' in reduce capabilities");
      }
      caps.Add(op, t);
    }
  }
  *out = caps;
  return Status::Ok();
}

NodeId Graph::AddNode(Node node) {
  NodeId id = static_cast<NodeId>(nodes_.size());
  by_id_.emplace(node.id, id);  // the first of duplicate ids wins; Validate() reports them
  nodes_.push_back(std::move(node));
  adjacency_.emplace_back();
  return id;
}

LinkId Graph::AddLink(const Link& link) {
  LinkId id = static_cast<LinkId>(links_.size());
  links_.push_back(link);
  auto valid = [&](NodeId n) { return n >= 0 && n < num_nodes(); };
  if (valid(link.a)) adjacency_[static_cast<size_t>(link.a)].push_back(id);
  if (valid(link.b) && link.b != link.a) adjacency_[static_cast<size_t>(link.b)].push_back(id);
  return id;
}

NodeId Graph::Find(std::string_view id) const {
  auto it = by_id_.find(std::string(id));
  return it == by_id_.end() ? kNoNode : it->second;
}

std::vector<NodeId> Graph::NodesOfKind(NodeKind kind) const { return NodesOfKind(kind, kNoNode); }

std::vector<NodeId> Graph::NodesOfKind(NodeKind kind, NodeId host) const {
  std::vector<NodeId> out;
  for (NodeId i = 0; i < num_nodes(); ++i) {
    const Node& n = nodes_[static_cast<size_t>(i)];
    if (n.kind == kind && (host == kNoNode || n.host == host)) out.push_back(i);
  }
  return out;
}

Status Graph::Validate() const {
  std::unordered_set<std::string> seen;
  for (NodeId i = 0; i < num_nodes(); ++i) {
    const Node& n = node(i);
    if (n.id.empty()) return InvalidArgument("node #" + std::to_string(i) + " has an empty id");
    if (!seen.insert(n.id).second) return InvalidArgument("duplicate node id '" + n.id + "'");
    if (static_cast<int>(n.kind) >= kNumNodeKinds) {
      return InvalidArgument("node '" + n.id + "' has an invalid kind");
    }
    if (n.host != kNoNode) {
      if (n.host < 0 || n.host >= num_nodes() || node(n.host).kind != NodeKind::kHost) {
        return InvalidArgument("node '" + n.id + "' names a host that is not a host node");
      }
      if (n.kind == NodeKind::kHost) return InvalidArgument("host '" + n.id + "' is inside a host");
    }
    if (!n.group.empty() && !IsSwitch(n.kind)) {
      return InvalidArgument("node '" + n.id + "' has a group but is not a switch");
    }
    if (n.reduce.any() && !IsSwitch(n.kind)) {
      return InvalidArgument("node '" + n.id + "' has reduce capabilities but is not a switch");
    }
    if (!(n.bw_gbps >= 0) || !std::isfinite(n.bw_gbps)) {
      return InvalidArgument("node '" + n.id + "' has an invalid bandwidth");
    }
    if (n.cores < 0) return InvalidArgument("node '" + n.id + "' has a negative core count");
  }
  for (LinkId i = 0; i < num_links(); ++i) {
    const Link& l = link(i);
    std::string what = "link #" + std::to_string(i);
    if (l.a < 0 || l.a >= num_nodes() || l.b < 0 || l.b >= num_nodes()) {
      return InvalidArgument(what + " names a missing node");
    }
    what = "link " + node(l.a).id + " <-> " + node(l.b).id;
    if (l.a == l.b) return InvalidArgument(what + " joins a node to itself");
    if (node(l.a).kind == NodeKind::kHost || node(l.b).kind == NodeKind::kHost) {
      return InvalidArgument(what + " touches a host node (hosts are containers)");
    }
    if (static_cast<int>(l.type) >= kNumLinkTypes) return InvalidArgument(what + " has an invalid type");
    if (!std::isfinite(l.bw_gbps) || l.bw_gbps <= 0) {
      return InvalidArgument(what + " has a non-positive bandwidth");
    }
    if (!std::isfinite(l.latency_us) || l.latency_us < 0) {
      return InvalidArgument(what + " has a negative latency");
    }
    if (l.count < 1) return InvalidArgument(what + " has a count below 1");
  }
  return Status::Ok();
}

std::string Describe(const Graph& g, NodeId id) {
  const Node& n = g.node(id);
  std::ostringstream os;
  os << n.id << " (" << Name(n.kind);
  if (!n.name.empty() && n.name != n.id) os << ", " << n.name;
  if (n.index >= 0) os << ", index " << n.index;
  if (n.numa >= 0) os << ", numa " << n.numa;
  if (n.cores > 0) os << ", " << n.cores << " cores";
  if (n.memory > 0)
    os << ", " << FormatDouble(std::round(static_cast<double>(n.memory) / (1ull << 30) * 100) / 100)
       << " GiB";
  if (n.bw_gbps > 0) {
    os << (n.kind == NodeKind::kNic ? ", port " : ", mem ") << FormatDouble(n.bw_gbps) << " GB/s";
  }
  if (!n.pci.empty()) os << ", pci " << n.pci;
  if (!n.group.empty()) os << ", group " << n.group;
  if (n.reduce.any()) os << ", reduces " << FormatReduceCaps(n.reduce);
  if (n.kind == NodeKind::kHost && !n.hostid.empty()) os << ", hostid " << n.hostid;
  os << ")";
  return os.str();
}

std::string Describe(const Graph& g, const Link& l) {
  std::ostringstream os;
  os << g.node(l.a).id << " <-> " << g.node(l.b).id << " " << Name(l.type) << " " << FormatDouble(l.bw_gbps)
     << " GB/s " << FormatDouble(l.latency_us) << " us";
  if (l.count > 1) os << " x" << l.count;
  if (l.pcie_gen > 0) os << " gen" << l.pcie_gen;
  if (l.pcie_width > 0) os << " x" << l.pcie_width << " lanes";
  if (l.version > 0) os << " v" << l.version;
  if (l.distance > 0) os << " distance " << l.distance;
  return os.str();
}

std::string ToText(const Graph& g) {
  std::ostringstream os;
  os << "topology " << (g.name.empty() ? "(unnamed)" : g.name) << ": " << g.num_nodes() << " nodes, "
     << g.num_links() << " links\n";
  for (NodeId h : g.NodesOfKind(NodeKind::kHost)) {
    os << "  " << Describe(g, h) << "\n";
    for (NodeId n = 0; n < g.num_nodes(); ++n) {
      if (g.node(n).host == h) os << "    " << Describe(g, n) << "\n";
    }
  }
  bool header = false;
  for (NodeId n = 0; n < g.num_nodes(); ++n) {
    if (g.node(n).host != kNoNode || g.node(n).kind == NodeKind::kHost) continue;
    if (!header) os << "  outside any host:\n";
    header = true;
    os << "    " << Describe(g, n) << "\n";
  }
  os << "  links:\n";
  for (const Link& l : g.links()) os << "    " << Describe(g, l) << "\n";
  return os.str();
}

}  // namespace chorus::topo
