// Init's agreement on the machine. Every rank must price schedules on the identical model, or
// ranks pick different algorithms and run mismatched schedules. So rank 0 alone loads the
// topology (detection or CHORUS_TOPO_FILE), sends it as XML down a binomial tree over the
// bootstrap, and every rank (rank 0 included) parses those same bytes; each rank finds its own
// node on the graph; one all-gather then carries every rank's host identity, node and tuner
// plugin identity. From identical inputs every rank builds the identical model, or every rank
// falls back to the calibrated host model: no rank decides alone.
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <map>

#include "core/comm.h"
#include "core/env.h"
#include "core/log.h"
#include "topology/detect.h"
#include "topology/locate.h"
#include "topology/xml.h"
#include "tune/plugin.h"

namespace chorus {

namespace {

constexpr uint32_t kTopoHeaderTag = 0x544f5030;  // "TOP0"
constexpr uint32_t kTopoBodyTag = 0x544f5031;    // "TOP1"
// A topology bigger than this is not sent (the calibrated model is used): the bundled 1024-GPU
// pod is 190 KB.
constexpr uint64_t kMaxTopologyBytes = 64ull << 20;

struct TopoHeader {
  uint64_t bytes = 0;  // XML text that follows
  int32_t ok = 0;      // rank 0 loaded a topology
  int32_t reserved = 0;
};

// One rank's entry of Init's all-gather.
struct RankInfo {
  char hostid[256];
  char plugin[200];
  int32_t node;  // its node on the shared graph; -1: none (no graph, or it could not be placed)
  int32_t reserved;
  uint64_t cpus[16];  // the CPUs it may run on (its affinity mask, CPUs 0..1023)
  uint64_t llc_bytes;  // the last-level cache it sees (0: unknown)
  uint64_t host_model_hash;  // of its CHORUS_HOST_MODEL (0: unset)
};

uint64_t HashText(const std::string& s) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return s.empty() ? 0 : h;
}

void OwnCpus(uint64_t cpus[16]) {
  memset(cpus, 0, 16 * sizeof(uint64_t));
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (sched_getaffinity(0, sizeof(mask), &mask) != 0) return;
  for (int c = 0; c < CPU_SETSIZE && c < 1024; ++c) {
    if (CPU_ISSET(c, &mask)) cpus[c / 64] |= uint64_t{1} << (c % 64);
  }
}

void CopyField(char* dst, size_t size, const std::string& s) {
  memset(dst, 0, size);
  memcpy(dst, s.data(), std::min(s.size(), size - 1));
}

std::string Field(const char* src, size_t size) { return std::string(src, strnlen(src, size - 1)); }

// "0-2,5": a short list of ranks for messages.
std::string FormatRankList(const std::vector<Rank>& ranks) {
  std::string out;
  for (size_t i = 0; i < ranks.size();) {
    size_t j = i;
    while (j + 1 < ranks.size() && ranks[j + 1] == ranks[j] + 1) ++j;
    out += (out.empty() ? "" : ",") + std::to_string(ranks[i]);
    if (j > i) out += "-" + std::to_string(ranks[j]);
    i = j + 1;
  }
  return out;
}

// Rank 0's header and text to every rank, down a binomial tree (log2(n) rounds; rank 0 sends
// log2(n) messages, not n - 1).
Status TreeBroadcast(Bootstrap* b, TopoHeader* header, std::string* text) {
  const Rank r = b->rank();
  const int n = b->size();
  int mask = 1;
  while (mask < n) {
    if (r & mask) {
      const Rank parent = r - mask;
      CHORUS_RETURN_IF_ERROR(b->Recv(parent, kTopoHeaderTag, header, sizeof(*header)));
      if (header->bytes > kMaxTopologyBytes) {
        return RemoteError("rank " + std::to_string(parent) + " sent a topology of " +
                           std::to_string(header->bytes) + " bytes");
      }
      text->assign(header->bytes, '\0');
      if (header->bytes > 0) CHORUS_RETURN_IF_ERROR(b->Recv(parent, kTopoBodyTag, text->data(), header->bytes));
      break;
    }
    mask <<= 1;
  }
  for (mask >>= 1; mask > 0; mask >>= 1) {
    if (r + mask >= n) continue;
    CHORUS_RETURN_IF_ERROR(b->Send(r + mask, kTopoHeaderTag, header, sizeof(*header)));
    if (header->bytes > 0) CHORUS_RETURN_IF_ERROR(b->Send(r + mask, kTopoBodyTag, text->data(), header->bytes));
  }
  return Status::Ok();
}

}  // namespace

Status Communicator::AgreeOnMachine() {
  const auto t0 = std::chrono::steady_clock::now();
  Bootstrap* boot = bootstrap_.get();
  const std::string me = topo::HostId();  // hostname + boot id, or CHORUS_HOSTID

  // 1. The graph: the parent's (split, shrink) or rank 0's.
  std::shared_ptr<const topo::Graph> graph;
  topo::NodeId my_node = topo::kNoNode;
  if (inherited_topology_) {
    graph = topology_.graph;
    if (graph) my_node = topology_.rank_node[static_cast<size_t>(rank_)];
  } else {
    TopoHeader header;
    std::string xml;
    if (rank_ == 0) {
      topo::Graph g;
#if CHORUS_HAVE_PUGIXML
      // Ranks of this build run on CPU cores: packages and NUMA nodes are what the model needs.
      Status st = topo::LoadTopology(&g, /*devices=*/false);
#else
      // The graph travels as XML, which this build cannot read: an expected configuration, not a
      // problem worth a warning on every init.
      Status st = SystemError("built without pugixml");
#endif
      if (st.ok()) {
        xml = topo::ToXml(g);
        if (xml.size() > kMaxTopologyBytes) {
          st = InvalidArgument("the topology is " + std::to_string(xml.size()) + " bytes of XML");
        }
      }
      if (st.ok()) {
        header.ok = 1;
        header.bytes = xml.size();
      } else {
        xml.clear();
#if CHORUS_HAVE_PUGIXML
        CHORUS_WARN(kTune, "%s: no topology (%s); the tuner uses the calibrated host model", config_.name.c_str(),
                    st.message().c_str());
#else
        CHORUS_INFO(kTune, "%s: no topology (%s); the tuner uses the calibrated host model", config_.name.c_str(),
                    st.message().c_str());
#endif
      }
    }
    CHORUS_RETURN_IF_ERROR(TreeBroadcast(boot, &header, &xml));
    if (header.ok) {
      auto g = std::make_shared<topo::Graph>();
      Status st = topo::ReadXmlString(xml, "topology from rank 0", g.get());
      if (st.ok()) {
        std::string how;
        st = topo::LocateHostRank(*g, me, topo::CurrentNumaNode(), &my_node, &how);
        if (st.ok()) {
          CHORUS_TRACE(kTopo, "%s: rank %d runs on %s (%s)", config_.name.c_str(), rank_,
                       g->node(my_node).id.c_str(), how.c_str());
        }
      }
      if (!st.ok()) {
        my_node = topo::kNoNode;
        CHORUS_WARN(kTopo, "%s: rank %d cannot use the topology: %s", config_.name.c_str(), rank_,
                    st.message().c_str());
      }
      graph = std::move(g);
    }
  }

  // 2. The tuner plugin this rank would use.
  std::unique_ptr<tune::TunerPlugin> plugin = tune::TunerPlugin::FromEnv();

  // 3. Everyone's host, node and plugin.
  std::vector<RankInfo> all(static_cast<size_t>(nranks_));
  RankInfo& mine = all[static_cast<size_t>(rank_)];
  CopyField(mine.hostid, sizeof(mine.hostid), me);
  CopyField(mine.plugin, sizeof(mine.plugin), tune::PluginIdentity(plugin.get()));
  mine.node = my_node;
  mine.reserved = 0;
  OwnCpus(mine.cpus);
  mine.llc_bytes = tune::LastLevelCacheBytes();
  const std::string host_model_spec = EnvString("CHORUS_HOST_MODEL");
  mine.host_model_hash = HashText(host_model_spec);
  CHORUS_RETURN_IF_ERROR(boot->AllGather(all.data(), sizeof(RankInfo)));

  // The first wave has only the shared-memory transport: every rank on this host.
  for (Rank r = 0; r < nranks_; ++r) {
    std::string other = Field(all[static_cast<size_t>(r)].hostid, sizeof(RankInfo::hostid));
    if (other != me) {
      return InvalidUsage("rank " + std::to_string(r) + " runs on host '" + other + "' and rank " +
                          std::to_string(rank_) + " on '" + me +
                          "': this build connects ranks of one host only (shared memory)");
    }
  }

  // 4. One plugin or none: ranks with different plugins would choose differently.
  std::map<std::string, std::vector<Rank>> by_plugin;
  for (Rank r = 0; r < nranks_; ++r)
    by_plugin[Field(all[static_cast<size_t>(r)].plugin, sizeof(RankInfo::plugin))].push_back(r);
  if (by_plugin.size() > 1) {
    std::string groups;
    for (const auto& [identity, ranks] : by_plugin) {
      groups += (groups.empty() ? "" : "; ") + std::string(ranks.size() == 1 ? "rank " : "ranks ") +
                FormatRankList(ranks) + ": " + identity;
    }
    if (rank_ == 0) {
      CHORUS_WARN(kTune, "%s: the ranks load different tuner plugins (CHORUS_TUNER_PLUGIN) (%s); "
                  "disabled on every rank, the cost model chooses",
                  config_.name.c_str(), groups.c_str());
    } else {
      CHORUS_INFO(kTune, "%s: tuner plugin disabled: the ranks differ (%s)", config_.name.c_str(), groups.c_str());
    }
    plugin.reset();
  }

  // 5. The model: from the graph when every rank is placed on it, else the calibrated host.
  tune::LinkModel model = tune::DefaultHostModel();
  hints_ = tune::TopologyHints();
  hints_.nranks = nranks_;
  model_description_ = "model host-shm (calibrated shared-memory host)";
  if (graph) {
    std::vector<topo::NodeId> nodes(static_cast<size_t>(nranks_));
    std::vector<Rank> unplaced;
    for (Rank r = 0; r < nranks_; ++r) {
      nodes[static_cast<size_t>(r)] = all[static_cast<size_t>(r)].node;
      const topo::NodeId n = nodes[static_cast<size_t>(r)];
      if (n < 0 || n >= graph->num_nodes()) unplaced.push_back(r);
    }
    Status st;
    tune::TopologyModel tm;
    if (!unplaced.empty()) {
      st = InvalidArgument("rank(s) " + FormatRankList(unplaced) + " could not be placed on it");
    } else {
      // Identical inputs on every rank: every rank gets the same model, or the same error.
      st = tune::ModelFromTopology(*graph, nodes, tune::TopologyModelOptions{}, &tm);
    }
    if (st.ok()) {
      model = std::move(tm.model);
      hints_ = tm.hints;
      model_description_ = std::move(tm.description);
      while (!model_description_.empty() && model_description_.back() == '\n') model_description_.pop_back();
      topology_.graph = graph;
      topology_.rank_node = std::move(nodes);
    } else {
      if (rank_ == 0) {
        CHORUS_WARN(kTune, "%s: cannot model the topology (%s); the tuner uses the calibrated host model",
                    config_.name.c_str(), st.message().c_str());
      }
      topology_ = CommTopology();
    }
  } else {
    topology_ = CommTopology();
  }
  // Inputs of the host model that each rank reads for itself are agreed, so every rank prices
  // alike: the smallest cache any rank sees, and CHORUS_HOST_MODEL only when all ranks give the
  // same one.
  if (model.cache_bytes > 0) {
    uint64_t llc = UINT64_MAX;
    for (const RankInfo& info : all) llc = std::min(llc, info.llc_bytes);
    model.cache_bytes = static_cast<double>(llc);
  }
  bool same_spec = true;
  for (const RankInfo& info : all) same_spec = same_spec && info.host_model_hash == mine.host_model_hash;
  if (!same_spec) {
    if (rank_ == 0) {
      CHORUS_WARN(kTune, "%s: the ranks set different CHORUS_HOST_MODEL values; ignored on every rank",
                  config_.name.c_str());
    }
  } else if (!host_model_spec.empty()) {
    Status st = tune::ApplyHostModelOverrides(&model, host_model_spec);
    if (!st.ok() && rank_ == 0) CHORUS_WARN(kTune, "%s: %s", config_.name.c_str(), st.message().c_str());
    model_description_ += "\n  CHORUS_HOST_MODEL=" + host_model_spec;
  }
  // Ranks that outnumber the CPUs they may use between them take turns on those cores: every
  // rank computes the same union from the same all-gathered masks, so every rank prices alike.
  uint64_t all_cpus[16] = {0};
  for (const RankInfo& info : all) {
    for (int w = 0; w < 16; ++w) all_cpus[w] |= info.cpus[w];
  }
  int cores = 0;
  for (uint64_t w : all_cpus) cores += __builtin_popcountll(w);
  cores_ = cores;
  if (cores > 0 && nranks_ > cores) {
    tune::ForSharedCores(&model, static_cast<double>(nranks_) / cores);
    model_description_ += "\n  " + std::to_string(nranks_) + " ranks share " + std::to_string(cores) + " cores";
  }
  model.stream_min_output_bytes = static_cast<double>(config_.stream_results_bytes);
  tuner_ = std::make_unique<tune::Tuner>(std::move(model), std::move(plugin));
  if (rank_ == 0) {
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    CHORUS_INFO(kTune, "%s: %s (%.2f ms)\n%s", config_.name.c_str(),
                topology_.graph ? "tuning on the topology" : "tuning on the calibrated host model", ms,
                model_description_.c_str());
  }
  return Status::Ok();
}

Status Communicator::CreateChild(const chorusUniqueId& id, const std::vector<Rank>& parent_ranks, Rank new_rank,
                                 const CommConfig& config, std::unique_ptr<Communicator>* out) const {
  auto child = std::make_unique<Communicator>(new_rank, static_cast<int>(parent_ranks.size()), config);
  child->inherited_topology_ = true;
  if (topology_.graph) {
    child->topology_.graph = topology_.graph;
    for (Rank p : parent_ranks) child->topology_.rank_node.push_back(topology_.rank_node[static_cast<size_t>(p)]);
  }
  CHORUS_RETURN_IF_ERROR(child->Init(id));
  *out = std::move(child);
  return Status::Ok();
}

}  // namespace chorus
