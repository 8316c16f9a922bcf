// A communicator: one rank's membership in a group of ranks, and everything it owns (bootstrap,
// connections, scratch memory, cached schedules). Freed in reverse order of creation.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "algorithms/schedule.h"
#include "bootstrap/bootstrap.h"
#include "chorus/chorus.h"
#include "core/status.h"
#include "exec/host_engine.h"
#include "core/types.h"
#include "exec/waiter.h"
#include "topology/graph.h"
#include "transports/transport.h"
#include "tune/topology_model.h"
#include "tune/tuner.h"

namespace chorus {

// One queued operation (the arguments of a validated API call).
struct CommOp {
  Collective coll = Collective::kAllReduce;
  const void* sendbuff = nullptr;
  void* recvbuff = nullptr;
  Count count = 0;
  DataType dtype = DataType::kFloat32;
  ReduceOp op = ReduceOp::kSum;
  Rank root = 0;        // broadcast/reduce root; send/recv peer
  bool is_send = false; // kSendRecv: a send (else a receive)
};

struct CommConfig {
  int64_t timeout_ms = 600000;
  std::string name = "comm";
  int channels = 1;
  // Calls whose output is at least this large write their unread results with streaming stores
  // (CHORUS_NT_STORE_BYTES; 0: never).
  Bytes stream_results_bytes = Bytes{16} << 20;
};

// Reads the config struct (may be null) over the environment's defaults; validates it.
Status ResolveConfig(const chorusConfig_t* config, CommConfig* out);

// The machine a communicator's tuner prices schedules on: the graph every rank of it parsed from
// the same bytes, and the node each rank runs on. A null graph means the calibrated host model
// (tune::DefaultHostModel): loading, parsing, placing or modelling failed on some rank, or the
// parent communicator had none. Split and shrink hand their parent's to the child.
struct CommTopology {
  std::shared_ptr<const topo::Graph> graph;
  std::vector<topo::NodeId> rank_node;  // by rank; empty with a null graph
};

class Communicator {
 public:
  // Construct, then Init (which blocks on the other ranks; a non-blocking init runs it on a thread).
  Communicator(Rank rank, int nranks, const CommConfig& config)
      : rank_(rank), nranks_(nranks), config_(config) {}
  Status Init(const chorusUniqueId& id);
  // Both in one.
  static Status Create(const chorusUniqueId& id, int nranks, Rank rank, const CommConfig& config,
                       std::unique_ptr<Communicator>* out);
  ~Communicator();

  // chorusCommSplit: collective over this communicator. color < 0: this rank joins none (*out
  // stays null).
  Status Split(int color, int key, const CommConfig& config, std::unique_ptr<Communicator>* out);
  // chorusCommShrink: the ranks not in `excluded` build a new communicator without relying on the
  // excluded ones (which may be dead) nor on this communicator's data path (which may be broken).
  Status Shrink(const std::vector<Rank>& excluded, const CommConfig& config, std::unique_ptr<Communicator>* out);

  Rank rank() const { return rank_; }
  int size() const { return nranks_; }
  const CommConfig& config() const { return config_; }

  // Runs a batch of operations issued together (a group, or a single call): all sends and receives
  // progress concurrently, then the collectives run in issue order.
  Status Run(const CommOp* ops, size_t n);
  Status Run(const std::vector<CommOp>& ops) { return Run(ops.data(), ops.size()); }

  // Makes every wait of this communicator return (chorusCommAbort from any thread).
  void RequestAbort() { abort_.store(true); }
  bool aborted() const { return abort_.load(); }
  // After a failed collective the connections may hold half a message: the communicator refuses
  // further work with this error.
  const Status& broken() const { return broken_; }

  // Calls in flight (abort waits for them to leave before freeing).
  std::atomic<int>& active_calls() { return active_calls_; }

  // What Init settled (tests and logs): the machine, the tuner built on it, its hints.
  const CommTopology& topology() const { return topology_; }
  const tune::Tuner& tuner() const { return *tuner_; }
  const tune::TopologyHints& hints() const { return hints_; }
  const std::string& model_description() const { return model_description_; }

 private:
  // Split / shrink: a child built on its parent's machine (`parent_ranks[r]`: the parent rank of
  // the child's rank r) rather than loading the topology again.
  Status CreateChild(const chorusUniqueId& id, const std::vector<Rank>& parent_ranks, Rank new_rank,
                     const CommConfig& config, std::unique_ptr<Communicator>* out) const;
  // Init's agreement on the machine (comm_topology.cc): rank 0's topology graph to every rank,
  // each rank's host, node and tuner plugin to every rank; refuses ranks on several hosts; builds
  // the tuner. Only bootstrap failures and that refusal fail it: a topology problem is a WARN and
  // the calibrated host model, on every rank alike.
  Status AgreeOnMachine();
  Status RunCollective(const CommOp& op);
  Status RunPointToPoint(const std::vector<const CommOp*>& ops);
  // The program of this rank for `args` with algorithm `algo` (cached).
  Status ProgramFor(const sched::CollArgs& args, const std::string& algo, const sched::RankProgram** out);
  // Gives sends whose bytes a receive of the same batch overwrites a copy to send from, or says
  // (*piecewise) that the engine may let the receive follow the send piece by piece instead.
  Status SnapshotSendsUnderReceives(std::vector<sched::Step>* steps, bool* piecewise);
  // This communicator's scratch, grown to `bytes` (kept across calls); SystemError when memory runs out.
  Status Scratch(Bytes bytes, void** out);
  uint64_t NextCollectiveTag(const CommOp& op);

  const Rank rank_;
  const int nranks_;
  const CommConfig config_;
  std::unique_ptr<Bootstrap> bootstrap_;
  std::unique_ptr<transport::Connections> conns_;
  std::atomic<bool> abort_{false};
  std::atomic<int> active_calls_{0};
  Status broken_;
  bool data_path_failed_ = false;
  BackoffPolicy backoff_;
  uint64_t collective_seq_ = 0;
  uint64_t shrink_epoch_ = 0;
  std::vector<char> scratch_;
  uint8_t barrier_in_ = 0;
  uint8_t barrier_out_ = 0;
  std::unique_ptr<tune::Tuner> tuner_;
  CommTopology topology_;
  bool inherited_topology_ = false;  // set by CreateChild before Init
  int cores_ = 0;  // CPUs in the union of the ranks' affinity masks (0: unknown), from AgreeOnMachine
  tune::TopologyHints hints_;
  std::string model_description_;
  using ProgramKey = std::tuple<int, Count, Rank, int, bool, bool, Bytes, int, int, bool, std::string>;
  std::map<ProgramKey, sched::RankProgram> programs_;
  // The last collective's plan: a loop of identical calls (the common case) skips the tuner and
  // the program cache. Cleared whenever programs_ is.
  struct LastCall {
    Collective coll = Collective::kAllReduce;
    Count count = 0;
    DataType dtype = DataType::kUint8;
    ReduceOp op = ReduceOp::kSum;
    Rank root = 0;
    bool in_place = false;
    const sched::RankProgram* program = nullptr;
    const char* algo = "";
    bool stream_results = false;  // the output outgrows the caches (ExecParams::stream_results)
  };
  LastCall last_call_;
  exec::EngineScratch engine_scratch_;
  // Kept across calls so that a loop of small sends and receives allocates nothing.
  sched::RankProgram p2p_program_;
  std::vector<const CommOp*> p2p_ops_;
};

}  // namespace chorus
