// The topology file format (docs/topology.md): our own XML, written by CHORUS_TOPO_DUMP_FILE and
// chorus-topo --xml, read by CHORUS_TOPO_FILE and chorus-topo --topo.
//
//   <topology version="1" name="dgx-h100">
//     <host id="h0" name="dgx-h100" hostid="dgx-h100">
//       <node id="gpu0" kind="gpu" index="0" numa="0" memory="85899345920" bw="3350"/>
//       ...
//     </host>
//     <node id="leaf0" kind="net-switch" reduce="sum:float32"/>
//     <link a="gpu0" b="nvs0" type="nvlink" bw="125" lat="0.3" count="5" version="4"/>
//   </topology>
//
// Reading is strict: unknown elements and attributes, missing required attributes, numbers out
// of range, duplicate ids and links to missing nodes are errors that name the line.
#pragma once

#include <string>
#include <string_view>

#include "topology/graph.h"

namespace chorus::topo {

// The graph as XML text. Deterministic: the same graph always gives the same bytes, and
// reading the text back gives an equal graph (operator==).
std::string ToXml(const Graph& g);
Status WriteXmlFile(const Graph& g, const std::string& path);

// Parses `text`; errors read "<source>:<line>: <problem>". Needs pugixml (CHORUS_HAVE_PUGIXML);
// without it these return chorusInvalidUsage.
Status ReadXmlString(std::string_view text, std::string_view source, Graph* out);
Status ReadXmlFile(const std::string& path, Graph* out);

}  // namespace chorus::topo
