// Graphviz DOT for a topology: hosts as clusters, links labelled by type and bandwidth.
#pragma once

#include <string>

#include "topology/graph.h"

namespace chorus::topo {

std::string ToDot(const Graph& g);

}  // namespace chorus::topo
