// A schedule: what one rank does for one collective call, as data.
//
// Generators (ring.cc, chain.cc, pairwise.cc, ...) write schedules; the executor (exec/) runs
// them over transports; the verifier (algorithms/verifier.h) runs them symbolically. Nothing here
// touches memory, sockets or devices.
//
// The model:
// - A call has three element-indexed buffers: kInput (the user's send buffer), kOutput (the
//   user's receive buffer) and kScratch (scratch_elems elements the executor provides). In-place
//   calls alias kInput and kOutput as the API defines; generators must be correct both ways.
// - A rank's program is a set of channels; channels run concurrently, steps within a channel run
//   in order. Messages between a pair of ranks on a channel are matched in order.
// - kSend is posted and completes asynchronously: the executor snapshots nothing, so a later
//   step of the same rank that writes a region a pending send still reads first waits for that send
//   to drain (the verifier checks schedules under exactly these semantics).
// - Receives block until their data has arrived.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/types.h"

namespace chorus::sched {

enum class Buffer : uint8_t { kInput = 0, kOutput = 1, kScratch = 2 };
constexpr int kNumBuffers = 3;

// A range of elements in one of the call's buffers.
struct Slice {
  Buffer buffer = Buffer::kInput;
  Count offset = 0;  // elements
  Count count = 0;   // elements
};

enum class OpCode : uint8_t {
  kSend,            // send `src` to `peer`
  kRecv,            // receive from `peer` into `dst`
  kRecvReduce,      // dst = src (op) incoming from `peer`
  kRecvReduceSend,  // dst = src (op) incoming from `peer`; then send dst to `send_peer` (fused)
  kRecvCopySend,    // dst = incoming from `peer`; then send dst to `send_peer` (fused)
  kCopy,            // dst = src, locally
  kLocalReduce,     // dst = src (op) dst, locally
  // Memory-semantic and switch verbs (memsem/ and switch/ transports; later waves).
  kPut,             // write src into `peer`'s window at dst
  kGet,             // read `peer`'s window at src into dst
  kSignal,          // raise flag `flag` in `peer`'s memory
  kWait,            // wait for flag `flag` in local memory, raised by `peer`
  kSwitchReduce,    // the switch reduces src of every rank in the group into dst (multicast back)
};
const char* Name(OpCode op);

struct Step {
  OpCode op = OpCode::kCopy;
  Rank peer = -1;       // the receive-from peer (recv ops), the send-to peer (kSend, kPut, ...)
  Rank send_peer = -1;  // fused ops: where dst goes next
  Slice src;            // local operand read (kSend, kRecvReduce*, kCopy, kLocalReduce)
  Slice dst;            // local result written (kRecv*, kCopy, kLocalReduce)
  bool finalize = false;  // after this step dst holds a final reduced value: apply the op's
                          // epilogue (avg: divide by nranks)
  uint32_t flag = 0;      // kSignal / kWait
  // Derived, not generated (MarkUnreadResults): dst is part of the caller's result and no step of
  // this call reads it again, so an executor may write it around the caches.
  bool result_unread = false;
};

struct ChannelProgram {
  std::vector<Step> steps;
};

// What one rank does for one call.
struct RankProgram {
  Rank rank = 0;
  int nranks = 1;
  Count scratch_elems = 0;
  std::vector<ChannelProgram> channels;
};

// What a generator is asked for. Counts follow the C API (elements per rank for all-gather's
// send buffer, per rank's block for reduce-scatter's receive buffer, per destination for
// all-to-all).
struct CollArgs {
  Collective coll = Collective::kAllReduce;
  int nranks = 1;
  Count count = 0;
  Rank root = 0;
  ReduceOp op = ReduceOp::kSum;
  Bytes elem_size = 4;
  Bytes chunk_bytes = 0;  // pipelining grain; 0: the generator's default
  int channels = 1;
  bool in_place = false;  // kInput aliases kOutput (at InPlaceInputOffset) on every rank
  bool has_output = true; // false on non-root ranks of kReduce: kOutput must not be touched
  // Topology hints for the generators that use them (the tuner fills them in).
  int ranks_per_node = 0;            // ranks per host, consecutive ranks share a host; 0: flat
  bool has_reducing_switch = false;  // kSwitchReduce is available (in-network reduction)
};

// Elements each of the call's buffers must hold for `args` on any rank (for validation and the
// verifier): input, output.
Count InputElems(const CollArgs& args);
Count OutputElems(const CollArgs& args);
// True when the call is in place (kOutput and kInput alias) as the API defines it, given rank.
// Offset of kInput inside kOutput for in-place calls, in elements.
Count InPlaceInputOffset(const CollArgs& args, Rank rank);

// Splits [0, count) into `parts` near-equal contiguous ranges (the first count % parts get one
// more); part i is [PartOffset(i), PartOffset(i) + PartCount(i)).
inline Count PartCount(Count count, int parts, int i) {
  return count / parts + (static_cast<Count>(i) < count % parts ? 1 : 0);
}
inline Count PartOffset(Count count, int parts, int i) {
  Count base = count / parts, extra = count % parts;
  Count ii = static_cast<Count>(i);
  return ii * base + (ii < extra ? ii : extra);
}

// Whether the executor writes `step`'s result with streaming stores in a call whose results
// outgrow the caches: a result no later step reads (result_unread), or a fused reduce-and-forward
// into the output whose operand is other memory (`operand_is_dst` false). The forwarded message
// then reads the result back from memory, which was measured to cost less than the
// read-for-ownership of every output line (2 ranks, ring, 64-256 MiB out of place: 14-17%
// faster); when the operand is the destination its lines were just read and are in cache. Not a
// finalizing step of an average (`op`): its division reads the result straight back.
bool StreamsWhenLarge(const Step& step, bool operand_is_dst, ReduceOp op);

// Sets Step::result_unread on the receives and copies (not fused, not reductions the epilogue
// re-reads) whose dst lies in kOutput and that no other step of any channel reads afterwards
// (same channel: later steps; other channels: any step, as they run concurrently).
// O(steps log steps).
void MarkUnreadResults(const CollArgs& args, RankProgram* program);

std::string ToString(const Step& s);
std::string ToString(const RankProgram& p);

}  // namespace chorus::sched
