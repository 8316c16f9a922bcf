// Fuzzes the topology file reader (topology/xml.h: ReadXmlString, what CHORUS_TOPO_FILE feeds and
// what reads the graphs ranks exchange over the bootstrap), and, on what it accepts, the code that
// trusts a read graph: writing it back (the same graph must read back from ToXml, and ToXml must
// be a fixed point), the text dumps, and on small graphs path queries and JoinHosts (join.h).
//
// Input: the XML text.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "topology/graph.h"
#include "topology/join.h"
#include "topology/machines.h"
#include "topology/path.h"
#include "topology/xml.h"

namespace {

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace chorus;
  using namespace chorus::topo;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Graph g;
  Status s = ReadXmlString(text, "fuzz.xml", &g);
  if (!s.ok()) {
    FUZZ_CHECK(s.code() == chorusInvalidArgument || s.code() == chorusInvalidUsage, s.message());
    FUZZ_CHECK(s.message().rfind("fuzz.xml", 0) == 0, "error does not name the source: " + s.message());
    return 0;
  }
  s = g.Validate();
  FUZZ_CHECK(s.ok(), "a graph the reader accepted does not validate: " + s.message());

  const std::string xml = ToXml(g);
  Graph again;
  s = ReadXmlString(xml, "written.xml", &again);
  FUZZ_CHECK(s.ok(), "the reader rejects what ToXml wrote: " + s.message() + "\n" + xml);
  FUZZ_CHECK(again == g, "the graph changed through ToXml and back:\n" + xml);
  FUZZ_CHECK(ToXml(again) == xml, "ToXml is not a fixed point");

  (void)ToText(g);
  for (NodeId n = 0; n < g.num_nodes(); ++n) (void)Describe(g, n);
  for (const Link& l : g.links()) (void)Describe(g, l);

  // Path queries cost O(nodes * links) each: only on small graphs, from a few sources.
  if (g.num_nodes() > 0 && g.num_nodes() <= 64 && g.num_links() <= 256) {
    Router router(g);
    const NodeId last = g.num_nodes() - 1;
    std::vector<PathInfo> from = router.From(0);
    FUZZ_CHECK(from.size() == static_cast<size_t>(g.num_nodes()), "From() size");
    PathInfo p = router.Between(last, 0);
    FUZZ_CHECK(p.reachable == from[static_cast<size_t>(last)].reachable, "Between and From disagree on reachability");
    std::vector<NodeId> targets;
    for (NodeId n = 0; n < g.num_nodes(); n += 3) targets.push_back(n);
    std::vector<PathInfo> some = router.FromTo(last, targets);
    FUZZ_CHECK(some.size() == targets.size(), "FromTo() size");
    std::vector<Flow> flows;
    for (NodeId n = 0; n + 1 < g.num_nodes() && flows.size() < 8; n += 2) flows.push_back({n, n + 1});
    Contention c = router.Share(flows);
    FUZZ_CHECK(c.flow_bw_gbps.size() == flows.size(), "Share() size");
    (void)router.NearestSwitches(0);

    // The graph as three ranks' views: twice (one host or several, by hostid) and beside a
    // bundled machine.
    std::vector<Graph> per_rank = {g, g, MakeCpu2Socket()};
    Graph joined;
    std::vector<NodeId> host_of_rank;
    s = JoinHosts(per_rank, JoinOptions(), &joined, &host_of_rank);
    if (s.ok()) {
      FUZZ_CHECK(host_of_rank.size() == per_rank.size(), "JoinHosts: host_of_rank size");
      for (NodeId h : host_of_rank) {
        FUZZ_CHECK(h >= 0 && h < joined.num_nodes() && joined.node(h).kind == NodeKind::kHost,
                   "JoinHosts: a rank's host is not a host node");
      }
      s = joined.Validate();
      FUZZ_CHECK(s.ok(), "JoinHosts returned an invalid graph: " + s.message());
      Graph joined_again;
      s = ReadXmlString(ToXml(joined), "joined.xml", &joined_again);
      FUZZ_CHECK(s.ok(), "the reader rejects a joined graph: " + s.message());
      FUZZ_CHECK(joined_again == joined, "a joined graph changed through ToXml");
    }
  }
  return 0;
}
