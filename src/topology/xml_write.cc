// Writing topology XML by hand (no pugixml needed): attributes in a fixed order, defaults left
// out, numbers in their shortest round-trip form.
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "topology/number.h"
#include "topology/xml.h"

namespace chorus::topo {

namespace {
std::string Escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      // Raw whitespace in an attribute is normalised to a space by XML readers: keep it exact.
      case '\t': out += "&#9;"; break;
      case '\n': out += "&#10;"; break;
      case '\r': out += "&#13;"; break;
      default: out += c;
    }
  }
  return out;
}

void Attr(std::string* out, const char* name, std::string_view value) {
  *out += ' ';
  *out += name;
  *out += "=\"";
  *out += Escape(value);
  *out += '"';
}

void WriteNodeAttrs(const Graph& g, const Node& n, bool host_by_attr, std::string* out) {
  Attr(out, "id", n.id);
  if (n.kind != NodeKind::kHost) Attr(out, "kind", Name(n.kind));
  if (!n.name.empty()) Attr(out, "name", n.name);
  if (host_by_attr) Attr(out, "host", g.node(n.host).id);
  if (n.kind == NodeKind::kHost && !n.hostid.empty()) Attr(out, "hostid", n.hostid);
  if (n.index != -1) Attr(out, "index", std::to_string(n.index));
  if (n.numa != -1) Attr(out, "numa", std::to_string(n.numa));
  if (n.cores != 0) Attr(out, "cores", std::to_string(n.cores));
  if (n.memory != 0) Attr(out, "memory", std::to_string(n.memory));
  if (n.bw_gbps != 0) Attr(out, "bw", FormatDouble(n.bw_gbps));
  if (!n.pci.empty()) Attr(out, "pci", n.pci);
  if (!n.group.empty()) Attr(out, "group", n.group);
  if (n.reduce.any()) Attr(out, "reduce", FormatReduceCaps(n.reduce));
}
}  // namespace

std::string ToXml(const Graph& g) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<!-- Chorus topology; format: docs/topology.md. Bandwidth GB/s per direction, latency us. -->\n";
  out += "<topology version=\"1\"";
  if (!g.name.empty()) Attr(&out, "name", g.name);
  out += ">\n";
  NodeId open_host = kNoNode;
  auto close_host = [&] {
    if (open_host != kNoNode) out += "  </host>\n";
    open_host = kNoNode;
  };
  for (NodeId id = 0; id < g.num_nodes(); ++id) {
    const Node& n = g.node(id);
    if (n.kind == NodeKind::kHost) {
      close_host();
      out += "  <host";
      WriteNodeAttrs(g, n, false, &out);
      out += ">\n";
      open_host = id;
      continue;
    }
    if (n.host != kNoNode && n.host == open_host) {
      out += "    <node";
      WriteNodeAttrs(g, n, false, &out);
      out += "/>\n";
      continue;
    }
    close_host();
    out += "  <node";
    WriteNodeAttrs(g, n, n.host != kNoNode, &out);
    out += "/>\n";
  }
  close_host();
  for (const Link& l : g.links()) {
    out += "  <link";
    Attr(&out, "a", g.node(l.a).id);
    Attr(&out, "b", g.node(l.b).id);
    Attr(&out, "type", Name(l.type));
    Attr(&out, "bw", FormatDouble(l.bw_gbps));
    Attr(&out, "lat", FormatDouble(l.latency_us));
    if (l.count != 1) Attr(&out, "count", std::to_string(l.count));
    if (l.pcie_gen != 0) Attr(&out, "gen", std::to_string(l.pcie_gen));
    if (l.pcie_width != 0) Attr(&out, "width", std::to_string(l.pcie_width));
    if (l.version != 0) Attr(&out, "version", std::to_string(l.version));
    if (l.distance != 0) Attr(&out, "distance", std::to_string(l.distance));
    out += "/>\n";
  }
  out += "</topology>\n";
  return out;
}

Status WriteXmlFile(const Graph& g, const std::string& path) {
  std::string text = ToXml(g);
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return SystemError(ErrnoMessage("cannot open " + path + " for writing", errno));
  size_t written = std::fwrite(text.data(), 1, text.size(), f);
  int err = errno;
  if (std::fclose(f) != 0 || written != text.size()) {
    return SystemError(ErrnoMessage("cannot write " + path, err));
  }
  return Status::Ok();
}

}  // namespace chorus::topo
