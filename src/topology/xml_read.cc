// Reading topology XML with pugixml. Every error names the line: pugixml reports byte offsets,
// which we turn into line numbers by counting newlines in the text.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <unordered_map>

#include "topology/number.h"
#include "topology/xml.h"

#if CHORUS_HAVE_PUGIXML
#include <pugixml.hpp>
#endif

namespace chorus::topo {

#if CHORUS_HAVE_PUGIXML
namespace {

// Inclusive ranges for every number a file may hold.
constexpr int64_t kMaxIndex = 1 << 20;
constexpr int64_t kMaxNuma = 4095;
constexpr int64_t kMaxCores = 1 << 24;
constexpr double kMaxBwGbps = 1e7;     // 10 PB/s: far above any link
constexpr double kMaxLatencyUs = 1e7;  // 10 s
constexpr int64_t kMaxCount = 1 << 20;

class Reader {
 public:
  Reader(std::string_view text, std::string_view source) : text_(text), source_(source) {}

  Status Read(Graph* out);

 private:
  struct PendingNode {
    int line = 0;
    std::string host_ref;  // top-level <node host="..."> (resolved once every host is known)
  };

  int LineOf(ptrdiff_t offset) const {
    if (offset < 0) return 0;
    size_t end = std::min(static_cast<size_t>(offset), text_.size());
    return 1 + static_cast<int>(std::count(text_.begin(), text_.begin() + static_cast<ptrdiff_t>(end), '\n'));
  }
  Status Error(const pugi::xml_node& at, const std::string& problem) const {
    return InvalidArgument(std::string(source_) + ":" + std::to_string(LineOf(at.offset_debug())) + ": " +
                           problem);
  }
  static std::string Tag(const pugi::xml_node& n) { return std::string("<") + n.name() + ">"; }

  // Rejects attributes outside `allowed` (catches typos such as "bandwith").
  Status CheckAttributes(const pugi::xml_node& n, std::initializer_list<const char*> allowed) const;
  Status CheckChildren(const pugi::xml_node& n, std::initializer_list<const char*> allowed) const;
  Status Required(const pugi::xml_node& n, const char* attr, std::string* out) const;
  Status Int(const pugi::xml_node& n, const char* attr, int64_t lo, int64_t hi, int64_t* out) const;
  Status Double(const pugi::xml_node& n, const char* attr, double lo, double hi, bool lo_open,
                double* out) const;

  Status ReadNode(const pugi::xml_node& e, NodeId host, Graph* g);
  Status ReadLink(const pugi::xml_node& e, Graph* g);

  std::string_view text_;
  std::string_view source_;
  std::unordered_map<std::string, int> line_of_id_;
  std::vector<PendingNode> pending_;  // by NodeId
};

Status Reader::CheckAttributes(const pugi::xml_node& n, std::initializer_list<const char*> allowed) const {
  for (pugi::xml_attribute a : n.attributes()) {
    bool ok = std::any_of(allowed.begin(), allowed.end(),
                          [&](const char* name) { return std::strcmp(name, a.name()) == 0; });
    if (!ok) return Error(n, "unknown attribute '" + std::string(a.name()) + "' on " + Tag(n));
  }
  return Status::Ok();
}

Status Reader::CheckChildren(const pugi::xml_node& n, std::initializer_list<const char*> allowed) const {
  for (pugi::xml_node c : n.children()) {
    if (c.type() == pugi::node_comment) continue;
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) {
      return Error(c, "unexpected text inside " + Tag(n));
    }
    if (c.type() != pugi::node_element) return Error(c, "unexpected content inside " + Tag(n));
    bool ok = std::any_of(allowed.begin(), allowed.end(),
                          [&](const char* name) { return std::strcmp(name, c.name()) == 0; });
    if (!ok) return Error(c, "unknown element " + Tag(c) + " inside " + Tag(n));
  }
  return Status::Ok();
}

Status Reader::Required(const pugi::xml_node& n, const char* attr, std::string* out) const {
  pugi::xml_attribute a = n.attribute(attr);
  if (!a) return Error(n, Tag(n) + " lacks the required attribute '" + attr + "'");
  *out = a.value();
  if (out->empty()) return Error(n, Tag(n) + " has an empty '" + attr + "'");
  return Status::Ok();
}

Status Reader::Int(const pugi::xml_node& n, const char* attr, int64_t lo, int64_t hi, int64_t* out) const {
  pugi::xml_attribute a = n.attribute(attr);
  if (!a) return Status::Ok();
  int64_t v = 0;
  if (!ParseInt64(a.value(), &v)) {
    return Error(n, Tag(n) + " " + attr + "=\"" + a.value() + "\" is not an integer");
  }
  if (v < lo || v > hi) {
    return Error(n, Tag(n) + " " + attr + "=\"" + a.value() + "\" is out of range [" + std::to_string(lo) +
                        ", " + std::to_string(hi) + "]");
  }
  *out = v;
  return Status::Ok();
}

Status Reader::Double(const pugi::xml_node& n, const char* attr, double lo, double hi, bool lo_open,
                      double* out) const {
  pugi::xml_attribute a = n.attribute(attr);
  if (!a) return Status::Ok();
  double v = 0;
  if (!ParseDouble(a.value(), &v)) {
    return Error(n, Tag(n) + " " + attr + "=\"" + a.value() + "\" is not a finite number");
  }
  if (v < 0 && lo >= 0) return Error(n, Tag(n) + " " + attr + "=\"" + a.value() + "\" is negative");
  if (v < lo || (lo_open && v == lo) || v > hi) {
    return Error(n, Tag(n) + " " + attr + "=\"" + a.value() + "\" is out of range " + (lo_open ? "(" : "[") +
                        FormatDouble(lo) + ", " + FormatDouble(hi) + "]");
  }
  *out = v;
  return Status::Ok();
}

Status Reader::ReadNode(const pugi::xml_node& e, NodeId host, Graph* g) {
  bool is_host = std::strcmp(e.name(), "host") == 0;
  if (is_host) {
    CHORUS_RETURN_IF_ERROR(
        CheckAttributes(e, {"id", "name", "hostid", "index", "numa", "cores", "memory", "bw", "pci"}));
    CHORUS_RETURN_IF_ERROR(CheckChildren(e, {"node"}));
  } else {
    std::initializer_list<const char*> attrs = {"id",     "kind", "name", "index", "numa",  "cores",
                                                "memory", "bw",   "pci",  "group", "reduce"};
    std::initializer_list<const char*> top = {"id",     "kind", "name", "index", "numa",   "cores",
                                              "memory", "bw",   "pci",  "group", "reduce", "host"};
    CHORUS_RETURN_IF_ERROR(CheckAttributes(e, host == kNoNode ? top : attrs));
    CHORUS_RETURN_IF_ERROR(CheckChildren(e, {}));
  }
  Node n;
  CHORUS_RETURN_IF_ERROR(Required(e, "id", &n.id));
  if (line_of_id_.count(n.id)) {
    return Error(
        e, "duplicate id '" + n.id + "' (first defined on line " + std::to_string(line_of_id_[n.id]) + ")");
  }
  if (is_host) {
    n.kind = NodeKind::kHost;
    n.hostid = e.attribute("hostid").value();
  } else {
    std::string kind;
    CHORUS_RETURN_IF_ERROR(Required(e, "kind", &kind));
    if (!ParseNodeKind(kind, &n.kind)) return Error(e, "unknown node kind '" + kind + "'");
    if (n.kind == NodeKind::kHost) return Error(e, "hosts are written as <host> elements, not nodes");
    n.host = host;
  }
  n.name = e.attribute("name").value();
  n.pci = e.attribute("pci").value();
  n.group = e.attribute("group").value();
  int64_t v = n.index;
  CHORUS_RETURN_IF_ERROR(Int(e, "index", -1, kMaxIndex, &v));
  n.index = static_cast<int>(v);
  v = n.numa;
  CHORUS_RETURN_IF_ERROR(Int(e, "numa", -1, kMaxNuma, &v));
  n.numa = static_cast<int>(v);
  v = 0;
  CHORUS_RETURN_IF_ERROR(Int(e, "cores", 0, kMaxCores, &v));
  n.cores = static_cast<int>(v);
  if (pugi::xml_attribute a = e.attribute("memory")) {
    if (!ParseUint64(a.value(), &n.memory) || n.memory > (1ull << 62)) {
      return Error(e, Tag(e) + " memory=\"" + a.value() + "\" is not a byte count in [0, 2^62]");
    }
  }
  CHORUS_RETURN_IF_ERROR(Double(e, "bw", 0, kMaxBwGbps, false, &n.bw_gbps));
  if (pugi::xml_attribute a = e.attribute("reduce")) {
    Status s = ParseReduceCaps(a.value(), &n.reduce);
    if (!s.ok()) return Error(e, s.message());
  }
  if (!n.group.empty() && !IsSwitch(n.kind)) {
    return Error(e, "group on node '" + n.id + "' of kind " + Name(n.kind) + " (only switches group)");
  }
  if (n.reduce.any() && !IsSwitch(n.kind)) {
    return Error(e, "reduce on node '" + n.id + "' of kind " + Name(n.kind) + " (only switches reduce)");
  }
  int line = LineOf(e.offset_debug());
  line_of_id_[n.id] = line;
  PendingNode p;
  p.line = line;
  if (!is_host && host == kNoNode) p.host_ref = e.attribute("host").value();
  pending_.push_back(std::move(p));
  g->AddNode(std::move(n));
  return Status::Ok();
}

Status Reader::ReadLink(const pugi::xml_node& e, Graph* g) {
  CHORUS_RETURN_IF_ERROR(
      CheckAttributes(e, {"a", "b", "type", "bw", "lat", "count", "gen", "width", "version", "distance"}));
  CHORUS_RETURN_IF_ERROR(CheckChildren(e, {}));
  Link l;
  std::string a, b, type;
  CHORUS_RETURN_IF_ERROR(Required(e, "a", &a));
  CHORUS_RETURN_IF_ERROR(Required(e, "b", &b));
  CHORUS_RETURN_IF_ERROR(Required(e, "type", &type));
  l.a = g->Find(a);
  l.b = g->Find(b);
  if (l.a == kNoNode) return Error(e, "link to missing node '" + a + "'");
  if (l.b == kNoNode) return Error(e, "link to missing node '" + b + "'");
  if (l.a == l.b) return Error(e, "link joins node '" + a + "' to itself");
  if (g->node(l.a).kind == NodeKind::kHost || g->node(l.b).kind == NodeKind::kHost) {
    return Error(e, "link touches a host ('" + a + "' - '" + b + "'): hosts are containers");
  }
  if (!ParseLinkType(type, &l.type)) return Error(e, "unknown link type '" + type + "'");
  std::string bw;
  CHORUS_RETURN_IF_ERROR(Required(e, "bw", &bw));
  CHORUS_RETURN_IF_ERROR(Double(e, "bw", 0, kMaxBwGbps, true, &l.bw_gbps));
  std::string lat;
  CHORUS_RETURN_IF_ERROR(Required(e, "lat", &lat));
  CHORUS_RETURN_IF_ERROR(Double(e, "lat", 0, kMaxLatencyUs, false, &l.latency_us));
  int64_t v = 1;
  CHORUS_RETURN_IF_ERROR(Int(e, "count", 1, kMaxCount, &v));
  l.count = static_cast<int>(v);
  v = 0;
  CHORUS_RETURN_IF_ERROR(Int(e, "gen", 1, 7, &v));
  l.pcie_gen = static_cast<int>(v);
  v = 0;
  CHORUS_RETURN_IF_ERROR(Int(e, "width", 1, 32, &v));
  l.pcie_width = static_cast<int>(v);
  if (l.pcie_width != 0 && (l.pcie_width & (l.pcie_width - 1)) != 0) {
    return Error(e, Tag(e) + " width=\"" + std::to_string(l.pcie_width) + "\" is not 1, 2, 4, 8, 16 or 32");
  }
  if ((l.pcie_gen != 0 || l.pcie_width != 0) && l.type != LinkType::kPcie) {
    return Error(e, "gen/width on a " + std::string(Name(l.type)) + " link (PCIe only)");
  }
  v = 0;
  CHORUS_RETURN_IF_ERROR(Int(e, "version", 1, 100, &v));
  l.version = static_cast<int>(v);
  v = 0;
  CHORUS_RETURN_IF_ERROR(Int(e, "distance", 1, 255, &v));
  l.distance = static_cast<int>(v);
  g->AddLink(l);
  return Status::Ok();
}

Status Reader::Read(Graph* out) {
  pugi::xml_document doc;
  pugi::xml_parse_result r =
      doc.load_buffer(text_.data(), text_.size(), pugi::parse_default | pugi::parse_comments);
  if (!r) {
    return InvalidArgument(std::string(source_) + ":" + std::to_string(LineOf(r.offset)) +
                           ": malformed XML: " + r.description());
  }
  pugi::xml_node root = doc.document_element();
  for (pugi::xml_node c : doc.children()) {
    if (c.type() == pugi::node_element && c != root) return Error(c, "more than one root element");
  }
  if (std::strcmp(root.name(), "topology") != 0) {
    return Error(root, "the root element is " + Tag(root) + ", not <topology>");
  }
  CHORUS_RETURN_IF_ERROR(CheckAttributes(root, {"version", "name"}));
  CHORUS_RETURN_IF_ERROR(CheckChildren(root, {"host", "node", "link"}));
  std::string version;
  CHORUS_RETURN_IF_ERROR(Required(root, "version", &version));
  if (version != "1")
    return Error(root, "unsupported topology version '" + version + "' (this reader knows 1)");

  Graph g;
  g.name = root.attribute("name").value();
  // Nodes first (links may name nodes defined after them), in document order.
  for (pugi::xml_node e : root.children()) {
    if (e.type() != pugi::node_element) continue;
    if (std::strcmp(e.name(), "host") == 0) {
      CHORUS_RETURN_IF_ERROR(ReadNode(e, kNoNode, &g));
      NodeId host = g.num_nodes() - 1;
      for (pugi::xml_node c : e.children("node")) CHORUS_RETURN_IF_ERROR(ReadNode(c, host, &g));
    } else if (std::strcmp(e.name(), "node") == 0) {
      CHORUS_RETURN_IF_ERROR(ReadNode(e, kNoNode, &g));
    }
  }
  for (NodeId id = 0; id < g.num_nodes(); ++id) {
    const PendingNode& p = pending_[static_cast<size_t>(id)];
    if (p.host_ref.empty()) continue;
    NodeId h = g.Find(p.host_ref);
    auto error = [&](const std::string& what) {
      return InvalidArgument(std::string(source_) + ":" + std::to_string(p.line) + ": " + what);
    };
    if (h == kNoNode) return error("node '" + g.node(id).id + "' names missing host '" + p.host_ref + "'");
    if (g.node(h).kind != NodeKind::kHost) {
      return error("node '" + g.node(id).id + "' names '" + p.host_ref + "' as host, which is not a <host>");
    }
    g.mutable_node(id).host = h;
  }
  for (pugi::xml_node e : root.children("link")) CHORUS_RETURN_IF_ERROR(ReadLink(e, &g));
  Status s = g.Validate();
  if (!s.ok()) return InvalidArgument(std::string(source_) + ": " + s.message());
  *out = std::move(g);
  return Status::Ok();
}

}  // namespace

Status ReadXmlString(std::string_view text, std::string_view source, Graph* out) {
  Reader reader(text, source);
  return reader.Read(out);
}

#else  // !CHORUS_HAVE_PUGIXML

Status ReadXmlString(std::string_view, std::string_view source, Graph*) {
  return InvalidUsage("cannot read " + std::string(source) + ": Chorus was built without pugixml");
}

#endif

Status ReadXmlFile(const std::string& path, Graph* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument(ErrnoMessage("cannot open topology file " + path, errno));
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return InvalidArgument(ErrnoMessage("cannot read topology file " + path, errno));
  return ReadXmlString(buf.str(), path, out);
}

}  // namespace chorus::topo
