// The host engine: runs one rank's program of a call on host memory over message connections.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "algorithms/schedule.h"
#include "core/status.h"
#include "core/types.h"
#include "exec/waiter.h"
#include "transports/transport.h"

namespace chorus::exec {

// Base addresses of the call's buffers, indexed by sched::Buffer. A null base means the program
// addresses memory absolutely (offsets are addresses): how grouped send/recv batches, whose steps
// each touch a different user buffer, are expressed.
struct ExecBuffers {
  void* base[sched::kNumBuffers] = {nullptr, nullptr, nullptr};
};

// State the engine keeps between calls (per-channel bookkeeping), so that a loop of small calls
// allocates nothing. Used by one call at a time: a communicator owns one.
class EngineScratch {
 public:
  EngineScratch();
  ~EngineScratch();
  EngineScratch(const EngineScratch&) = delete;
  EngineScratch& operator=(const EngineScratch&) = delete;
  struct Impl;
  Impl* impl() { return impl_.get(); }
  // Calls that ran every step on the straight path (no turn of the progress loop): for tests.
  uint64_t straight_calls() const;
  // Copy steps done by the pending send of the same bytes, piece by piece as it pushed: for tests.
  uint64_t ridden_copies() const;

 private:
  std::unique_ptr<Impl> impl_;
};

struct ExecParams {
  DataType dtype = DataType::kUint8;
  ReduceOp op = ReduceOp::kSum;
  uint64_t tag = 0;  // identifies the call; every message of it carries the tag
  transport::Connections* conns = nullptr;
  const std::atomic<bool>* abort_flag = nullptr;
  int64_t timeout_ms = 600000;
  const char* what = "call";  // for messages: "allreduce", "send/recv", ...
  BackoffPolicy backoff;
  EngineScratch* scratch = nullptr;  // null: the call allocates its own
  // Steps marked result_unread write with streaming stores (a call whose results outgrow the
  // caches: host::StreamingThreshold).
  bool stream_results = false;
  // A receive may write each piece as soon as no pending send still reads those bytes, rather
  // than only once every send it overlaps is done. Set for a send/recv batch whose one receive
  // lands on the very bytes of its one send (nccl-tests' in-place sendrecv): the send has pushed
  // them into the FIFO before the receive needs them, so neither waits for the other and no
  // snapshot is taken (core/comm.cc, SnapshotSendsUnderReceives). Not for schedules: the verifier
  // proves them under the whole-step rule.
  bool piecewise_write_hazard = false;
};

// Runs `program` to completion (or the first error, timeout or abort).
Status Execute(const sched::RankProgram& program, const ExecBuffers& buffers, const ExecParams& params);

}  // namespace chorus::exec
