#include "exec/host_engine.h"

#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/log.h"
#include "device/host/copy.h"
#include "device/host/reduce.h"
#include "exec/waiter.h"

namespace chorus::exec {

namespace {

using sched::OpCode;
using sched::Slice;
using sched::Step;
using Clock = std::chrono::steady_clock;

struct PendingSend {
  transport::SendQueue* queue;
  Rank peer;
  const char* data;
  Bytes total;
  Bytes sent = 0;
  Bytes ready;  // bytes of data that may be sent: grows while a fused step is still receiving
  Bytes ref_min = 0;  // the queue's smallest reference for this message (0: copies only)
  // Single copy: data[released, sent) may still be read by the receiver through references, the
  // last of which is `ticket` (0: none outstanding).
  Bytes released = 0;
  uint64_t ticket = 0;
  // A local copy of the same bytes riding along (a kCopy step whose source is this send's): each
  // piece pushed is also copied to tee while it is still in the core's cache, so the source is
  // read from memory once, not twice. tee[sent, total) is still to be written.
  char* tee = nullptr;
  host::Store tee_store = host::Store::kCached;
  bool finished() const { return sent == total && ticket == 0; }
  void Advance(Bytes n) {
    if (tee != nullptr && n > 0) host::Copy(tee + sent, data + sent, n, tee_store);
    sent += n;
  }
};

// A referenced piece is received in grains: copies in large ones (few system calls), reductions
// in ones that stay in the core's L2 between the copy and the reduction.
constexpr Bytes kRefCopyGrain = 1 << 20;
constexpr Bytes kRefReduceGrain = 128 * 1024;
// Local copies and reductions run in grains of this size between turns of the progress loop.
constexpr Bytes kLocalGrain = 1 << 20;
// Received pieces at least this large may be copied out together with a piece pushed (PairedCopy).
constexpr Bytes kPairMinBytes = 4096;
// Polls of a receive's queue on the straight path before the progress loop takes over the wait.
constexpr int kStraightPolls = 64;

struct ChannelState {
  int index = 0;
  const std::vector<Step>* steps = nullptr;
  size_t next = 0;           // the step in progress
  bool started = false;      // the step in progress has begun receiving
  Bytes received = 0;        // bytes of the step in progress received so far
  int forward = -1;                // the fused step's own send: an index into sends
  std::vector<PendingSend> sends;  // posted, not yet drained, in post order
  bool done() const { return next >= steps->size() && sends.empty(); }
  void Reset(int i, const std::vector<Step>* s) {
    index = i;
    steps = s;
    next = 0;
    started = false;
    received = 0;
    forward = -1;
    sends.clear();
  }
};

}  // namespace

struct EngineScratch::Impl {
  std::vector<ChannelState> channels;
  uint64_t straight_calls = 0;
  uint64_t ridden_copies = 0;
};

namespace {

class Engine {
 public:
  Engine(const sched::RankProgram& program, const ExecBuffers& buffers, const ExecParams& params)
      : program_(program), buffers_(buffers), params_(params), esize_(SizeOf(params.dtype)),
        redop_(params.op == ReduceOp::kAvg ? ReduceOp::kSum : params.op) {}

  Status Run();

 private:
  char* Address(const Slice& s) const {
    auto base = reinterpret_cast<uintptr_t>(buffers_.base[static_cast<int>(s.buffer)]);
    return reinterpret_cast<char*>(base + s.offset * esize_);
  }
  Bytes Length(const Slice& s) const { return s.count * esize_; }
  // Streaming stores, in calls large enough to want them, for results no later step reads and
  // for what a fused reduce-and-forward step writes to the output out of place
  // (sched::StreamsWhenLarge).
  host::Store StoreFor(const Step& step) const {
    if (!params_.stream_results) return host::Store::kCached;
    const bool operand_is_dst = step.op == OpCode::kRecvReduceSend && Address(step.src) == Address(step.dst);
    return sched::StreamsWhenLarge(step, operand_is_dst, params_.op) ? host::Store::kStreamed : host::Store::kCached;
  }

  Status Loop(std::vector<ChannelState>& channels);
  // The straight path: a channel's steps in order, each finished at once (a send its queue takes
  // whole, a receive whose message is whole in one slot by a few polls, a local step of one
  // grain), without the bookkeeping of pending sends or turns of the progress loop, which are most
  // of a small call's cost. The first step that cannot finish so is left to the progress loop,
  // with nothing pending but the untaken rest of a send: the loop then runs as if from the start.
  Status RunStraight(ChannelState& ch);
  Status SendStraight(ChannelState& ch, Rank peer, const char* data, Bytes len, bool* whole);
  Status ReceiveStraight(ChannelState& ch, const Step& step, bool* done);
  Status CheckHeader(const Step& step, const transport::MessageHeader& hdr, Bytes total) const;
  void WithdrawReferences(std::vector<ChannelState>& channels, const Status& why);
  Status ProgressSends(ChannelState& ch, bool* progressed);
  // Pushes what is ready of `s`: copies into the queue, or references to large pieces. `one_piece`:
  // at most one piece when its queue pairs copies, leaving room for the receive in progress to
  // pair with (PairedCopy).
  Status Push(PendingSend& s, bool one_piece, bool* progressed);
  char* Staging();
  // Advances the channel's current step as far as possible without blocking.
  Status ProgressStep(ChannelState& ch, bool* progressed, bool* step_done);
  Status ProgressReceive(ChannelState& ch, const Step& step, bool* progressed, bool* step_done);
  // Whether a write of [dst, dst + len) must wait for a pending send that still reads those bytes.
  // A copy riding along with a send that has yet to write there is finished first, at once: it
  // waits on nothing, while the send it rides with may wait on the very step that asks.
  bool WriteMustWait(ChannelState& ch, const char* dst, Bytes len);
  // Copies a received piece to `out` in the same loop as the next piece of a pending send whose
  // queue asks for paired copies; false (nothing done) when no send can take a piece now.
  Status PairedCopy(ChannelState& ch, char* out, const void* data, Bytes n, host::Store store, bool* paired);
  void Finalize(char* dst, Bytes len) const;
  // A copy of exactly what a pending send of this channel reads is done by that send, piece by
  // piece as it pushes (PendingSend::tee); true when `step` was handed over so.
  bool RideAlong(ChannelState& ch, const Step& step, const char* src, char* dst, Bytes len);
  void PostSend(ChannelState& ch, Rank peer, const char* data, Bytes len, Bytes ready);
  std::string Describe(const ChannelState& ch) const;
  Status CheckStuck(const std::vector<ChannelState>& channels, size_t nchannels, Clock::time_point deadline);

  const sched::RankProgram& program_;
  const ExecBuffers& buffers_;
  const ExecParams& params_;
  const Bytes esize_;
  const ReduceOp redop_;
};

char* Engine::Staging() {
  // Per thread, kept across calls: a fresh buffer per call would pay its page faults every time.
  thread_local std::unique_ptr<char[]> staging;
  if (!staging) staging.reset(new char[kRefReduceGrain]);
  return staging.get();
}

void Engine::Finalize(char* dst, Bytes len) const {
  if (params_.op == ReduceOp::kAvg && len > 0) {
    host::DivideBy(dst, len / esize_, params_.dtype, program_.nranks);
  }
}

bool Engine::WriteMustWait(ChannelState& ch, const char* dst, Bytes len) {
  // Checked before a step posts its own forward, or (piecewise) in batches that have none.
  bool wait = false;
  for (auto& s : ch.sends) {
    if (s.tee != nullptr && s.tee + s.sent < dst + len && dst < s.tee + s.total) {
      host::Copy(s.tee + s.sent, s.data + s.sent, s.total - s.sent, s.tee_store);
      s.tee = nullptr;
    }
    const char* lo = s.data + s.released;
    const char* hi = s.data + s.total;
    if (lo < dst + len && dst < hi) wait = true;
  }
  return wait;
}

void Engine::PostSend(ChannelState& ch, Rank peer, const char* data, Bytes len, Bytes ready) {
  transport::SendQueue* q = params_.conns->send_queue(peer, ch.index);
  ch.sends.push_back(PendingSend{q, peer, data, len, 0, ready, q->ref_min_bytes(data, len)});
}

bool Engine::RideAlong(ChannelState& ch, const Step& step, const char* src, char* dst, Bytes len) {
  // Only a result no later step reads (it is written while later steps run), not one an average
  // divides afterwards.
  if (!step.result_unread || step.finalize) return false;
  for (auto& s : ch.sends) {
    if (s.data != src || s.total != len || s.ready != s.total || s.tee != nullptr) continue;
    // By reference, the receiver reads the source itself: no pushes to ride along with. Only
    // where the queue pairs copies (the shm FIFO while its receiver's core shares our cache):
    // there memory bandwidth is what a large exchange lacks, and one read less is time saved;
    // across dies the exchange itself is slower than memory, and the copy on its own fills the
    // rank's waits for room in the FIFO (2 ranks, 64 MiB all-gather: 12% faster near, 10% slower
    // far when riding along).
    if ((s.ref_min > 0 && s.total >= s.ref_min) || !s.queue->PairsCopies(s.total)) continue;
    s.tee_store = StoreFor(step);
    if (s.sent > 0) host::Copy(dst, src, s.sent, s.tee_store);
    s.tee = dst;
    if (params_.scratch != nullptr) ++params_.scratch->impl()->ridden_copies;
    return true;
  }
  return false;
}

void EraseSend(ChannelState& ch, size_t i) {
  ch.sends.erase(ch.sends.begin() + static_cast<ptrdiff_t>(i));
  if (ch.forward == static_cast<int>(i)) {
    ch.forward = -1;
  } else if (ch.forward > static_cast<int>(i)) {
    --ch.forward;
  }
}

Status Engine::ProgressSends(ChannelState& ch, bool* progressed) {
  // Only the oldest pending send to a queue may push: messages on a queue stay in order.
  transport::SendQueue* blocked[8];
  int nblocked = 0;
  auto is_blocked = [&](transport::SendQueue* q) {
    for (int i = 0; i < nblocked; ++i) if (blocked[i] == q) return true;
    return false;
  };
  // A plain receive in progress may carry the sends' pieces (PairedCopy): hold them back to one
  // piece per turn. Any other step (a reduction, a forward, a local copy) leaves them to go whole.
  // Not before the receive has started: it may be waiting for these very sends to move on.
  const bool pairing = ch.started && ch.next < ch.steps->size() && (*ch.steps)[ch.next].op == OpCode::kRecv;
  for (size_t i = 0; i < ch.sends.size();) {
    PendingSend& s = ch.sends[i];
    if (s.ticket != 0 && s.queue->Released(s.ticket)) {
      s.ticket = 0;
      s.released = s.sent;
      *progressed = true;
    }
    if (s.sent < s.total) {
      if (nblocked == 8 || is_blocked(s.queue)) { ++i; continue; }
      if (s.sent < s.ready) CHORUS_RETURN_IF_ERROR(Push(s, pairing, progressed));
    }
    if (s.finished()) {
      EraseSend(ch, i);
      continue;
    }
    // Sent in full, waiting only for the receiver to release references: later messages on the
    // same queue may go.
    if (s.sent < s.total) blocked[nblocked++] = s.queue;
    ++i;
  }
  return Status::Ok();
}

Status Engine::Push(PendingSend& s, bool one_piece, bool* progressed) {
  transport::MessageHeader hdr{params_.tag, s.total};
  const Bytes ref_min = s.ref_min;
  // Large messages go by reference, in pieces as they become ready (a fused step forwards what it
  // has received so far); the tail of a message shorter than a piece is a reference too, so that
  // the whole message is copied once.
  if (ref_min > 0 && s.total >= ref_min) {
    const Bytes avail = s.ready - s.sent;
    if (avail < ref_min && s.ready < s.total) return Status::Ok();
    uint64_t ticket = 0;
    CHORUS_RETURN_IF_ERROR(s.queue->TryPushRef(hdr, s.data + s.sent, avail, &ticket));
    if (ticket == 0) return Status::Ok();
    s.ticket = ticket;
    s.Advance(avail);
    *progressed = true;
    return Status::Ok();
  }
  Bytes taken = 0;
  if (one_piece && s.queue->PairsCopies(s.total)) {
    // One piece per turn of the loop, so that free slots remain for the receive to pair with; the
    // loop comes back at once when it has nothing else to do.
    void* slot = nullptr;
    CHORUS_RETURN_IF_ERROR(s.queue->TryReserve(hdr, s.ready - s.sent, &slot, &taken));
    if (taken > 0) {
      host::Copy(slot, s.data + s.sent, taken, host::Store::kCached);
      s.queue->Commit(hdr, taken);
    }
  } else {
    CHORUS_RETURN_IF_ERROR(s.queue->TryPush(hdr, s.data + s.sent, s.ready - s.sent, &taken));
  }
  s.Advance(taken);
  if (s.ticket == 0) s.released = s.sent;
  if (taken > 0) *progressed = true;
  return Status::Ok();
}

Status Engine::PairedCopy(ChannelState& ch, char* out, const void* data, Bytes n, host::Store store, bool* paired) {
  *paired = false;
  if (n < kPairMinBytes) return Status::Ok();
  // Queues already looked at for this piece: a later message on one must wait for the earlier
  // (order), and one found full stays full for now. At most 8, so that a call with many peers
  // spends a bounded time per piece looking.
  transport::SendQueue* seen[8];
  int nseen = 0;
  auto was_seen = [&](transport::SendQueue* q) {
    for (int k = 0; k < nseen; ++k) if (seen[k] == q) return true;
    return false;
  };
  for (size_t i = 0; i < ch.sends.size() && nseen < 8; ++i) {
    PendingSend& s = ch.sends[i];
    if (s.sent >= s.total || was_seen(s.queue)) continue;
    seen[nseen++] = s.queue;
    if (s.sent >= s.ready || (s.ref_min > 0 && s.total >= s.ref_min) || !s.queue->PairsCopies(s.total)) continue;
    const transport::MessageHeader hdr{params_.tag, s.total};
    void* slot = nullptr;
    Bytes room = 0;
    CHORUS_RETURN_IF_ERROR(s.queue->TryReserve(hdr, s.ready - s.sent, &slot, &room));
    if (room == 0) continue;
    // The piece written to `out` cannot overlap the bytes pushed: the receive started (or, piece by
    // piece, continues) only where no pending send still reads.
    host::CopyPair(out, data, n, store, slot, s.data + s.sent, room);
    s.queue->Commit(hdr, room);
    s.Advance(room);
    if (s.ticket == 0) s.released = s.sent;
    *paired = true;
    return Status::Ok();
  }
  return Status::Ok();
}

Status Engine::CheckHeader(const Step& step, const transport::MessageHeader& hdr, Bytes total) const {
  if (hdr.tag == params_.tag && hdr.msg_bytes == total) return Status::Ok();
  return InvalidUsage(std::string(params_.what) + ": rank " + std::to_string(program_.rank) +
                      " expected a " + std::to_string(total) + "-byte message of call tag " +
                      std::to_string(params_.tag) + " from rank " + std::to_string(step.peer) +
                      " but got " + std::to_string(hdr.msg_bytes) + " bytes of call tag " +
                      std::to_string(hdr.tag) +
                      " (ranks called different collectives, counts, types or roots?)");
}

Status Engine::RunStraight(ChannelState& ch) {
  const std::vector<Step>& steps = *ch.steps;
  while (ch.next < steps.size()) {
    const Step& step = steps[ch.next];
    bool finished = false;
    switch (step.op) {
      case OpCode::kSend: {
        CHORUS_RETURN_IF_ERROR(SendStraight(ch, step.peer, Address(step.src), Length(step.src), &finished));
        // A send its queue did not take whole is posted, and the step is done all the same.
        ++ch.next;
        if (!finished) return Status::Ok();
        continue;
      }
      case OpCode::kRecv:
      case OpCode::kRecvReduce:
      case OpCode::kRecvReduceSend:
      case OpCode::kRecvCopySend:
        CHORUS_RETURN_IF_ERROR(ReceiveStraight(ch, step, &finished));
        if (!finished) return Status::Ok();
        ++ch.next;
        if (step.op == OpCode::kRecvReduceSend || step.op == OpCode::kRecvCopySend) {
          // The whole result is in place: forward it as a plain send.
          CHORUS_RETURN_IF_ERROR(SendStraight(ch, step.send_peer, Address(step.dst), Length(step.dst), &finished));
          if (!finished) return Status::Ok();
        }
        continue;
      case OpCode::kCopy:
      case OpCode::kLocalReduce: {
        // One grain or less finishes in one go (nothing is pending that could block it).
        if (Length(step.dst) > kLocalGrain - kLocalGrain % esize_) return Status::Ok();
        bool progressed = false;
        CHORUS_RETURN_IF_ERROR(ProgressStep(ch, &progressed, &finished));
        if (!finished) return Status::Ok();
        ++ch.next;
        continue;
      }
      default:
        return Status::Ok();
    }
  }
  return Status::Ok();
}

Status Engine::SendStraight(ChannelState& ch, Rank peer, const char* data, Bytes len, bool* whole) {
  *whole = true;
  if (len == 0) return Status::Ok();
  transport::SendQueue* q = params_.conns->send_queue(peer, ch.index);
  const Bytes ref_min = q->ref_min_bytes(data, len);
  Bytes taken = 0;
  // References need their tickets kept: the progress loop's business.
  if (ref_min == 0 || len < ref_min) {
    CHORUS_RETURN_IF_ERROR(q->TryPush(transport::MessageHeader{params_.tag, len}, data, len, &taken));
    if (taken == len) return Status::Ok();
  }
  *whole = false;
  PostSend(ch, peer, data, len, len);
  ch.sends.back().sent = ch.sends.back().released = taken;
  return Status::Ok();
}

Status Engine::ReceiveStraight(ChannelState& ch, const Step& step, bool* done) {
  *done = false;
  const Bytes total = Length(step.dst);
  if (total == 0) {
    *done = true;
    return Status::Ok();
  }
  transport::RecvQueue* q = params_.conns->recv_queue(step.peer, ch.index);
  transport::MessageHeader hdr;
  const void* data = nullptr;
  Bytes n = 0;
  // A peer that is running sends within a few polls; one that is not is waited for by the
  // progress loop, which backs off, yields and watches the clock. No polling at all when ranks
  // outnumber cores: the peer may need this very core.
  const int polls = params_.backoff.spin_us > 0 ? kStraightPolls : 1;
  for (int i = 0; i < polls && n == 0; ++i) CHORUS_RETURN_IF_ERROR(q->TryPeek(&hdr, &data, &n));
  // Only a message whole in one slot: the progress loop takes pieces, references and forwards.
  if (n == 0 || data == nullptr || n != total) return Status::Ok();
  CHORUS_RETURN_IF_ERROR(CheckHeader(step, hdr, total));
  char* dst = Address(step.dst);
  const host::Store store = StoreFor(step);
  if (step.op == OpCode::kRecvReduce || step.op == OpCode::kRecvReduceSend) {
    host::Reduce(dst, Address(step.src), data, total / esize_, params_.dtype, redop_, store);
  } else {
    host::Copy(dst, data, total, store);
  }
  q->Consume(total);
  if (step.finalize) Finalize(dst, total);
  *done = true;
  return Status::Ok();
}

Status Engine::ProgressReceive(ChannelState& ch, const Step& step, bool* progressed, bool* step_done) {
  const Bytes total = Length(step.dst);
  char* dst = Address(step.dst);
  const char* src = (step.op == OpCode::kRecvReduce || step.op == OpCode::kRecvReduceSend) ? Address(step.src) : nullptr;
  const bool forwards = step.op == OpCode::kRecvReduceSend || step.op == OpCode::kRecvCopySend;
  const host::Store store = StoreFor(step);
  if (!ch.started) {
    if (!params_.piecewise_write_hazard && WriteMustWait(ch, dst, total)) return Status::Ok();
    ch.started = true;
    ch.received = 0;
    if (forwards) {
      PostSend(ch, step.send_peer, dst, total, 0);
      ch.forward = static_cast<int>(ch.sends.size()) - 1;
    }
  }
  transport::RecvQueue* q = params_.conns->recv_queue(step.peer, ch.index);
  while (ch.received < total) {
    transport::MessageHeader hdr;
    const void* data = nullptr;
    Bytes n = 0;
    CHORUS_RETURN_IF_ERROR(q->TryPeek(&hdr, &data, &n));
    if (n == 0) break;
    CHORUS_RETURN_IF_ERROR(CheckHeader(step, hdr, total));
    n = std::min<Bytes>(n, total - ch.received);
    if (data == nullptr) n = std::min<Bytes>(n, src != nullptr ? kRefReduceGrain : kRefCopyGrain);
    n -= n % esize_;
    if (n == 0) {
      return RemoteError("rank " + std::to_string(step.peer) + " sent a slot that splits an element");
    }
    char* out = dst + ch.received;
    if (params_.piecewise_write_hazard && WriteMustWait(ch, out, n)) break;
    if (data == nullptr) {
      // A reference into the sender's memory: one copy, straight into place (or via a staging
      // grain that stays in cache for the reduction). A sender whose call failed may have handed
      // its buffer back to the application: its declared failure, checked before and after the
      // copy, says the bytes cannot be trusted.
      char* into = src != nullptr ? Staging() : out;
      Status st = params_.conns->PeerFailed(step.peer) ? params_.conns->PeerStatus(step.peer)
                                                       : q->ReadInto(into, n, into == out && store == host::Store::kStreamed);
      // The copy's loads before the flag's (TSan cannot model fences and refuses them; it sees the
      // flag's acquire load).
#if !defined(__SANITIZE_THREAD__)
      std::atomic_thread_fence(std::memory_order_acquire);
#endif
      if (st.ok() && params_.conns->PeerFailed(step.peer)) st = params_.conns->PeerStatus(step.peer);
      if (!st.ok()) {
        // The transport knows only the address it failed to read; say which peer and step.
        if (params_.conns->PeerDead(step.peer)) st = params_.conns->PeerStatus(step.peer);
        return RemoteError(std::string(params_.what) + " on rank " + std::to_string(program_.rank) + ": " +
                           st.message() + " (" + Describe(ch) + ")");
      }
      if (src != nullptr) host::Reduce(out, src + ch.received, into, n / esize_, params_.dtype, redop_, store);
    } else {
      if (src != nullptr) {
        host::Reduce(out, src + ch.received, data, n / esize_, params_.dtype, redop_, store);
      } else {
        bool paired = false;
        if (!forwards) CHORUS_RETURN_IF_ERROR(PairedCopy(ch, out, data, n, store, &paired));
        if (!paired) host::Copy(out, data, n, store);
      }
      q->Consume(n);
    }
    if (step.finalize) Finalize(out, n);
    ch.received += n;
    if (ch.forward >= 0) ch.sends[static_cast<size_t>(ch.forward)].ready = ch.received;
    *progressed = true;
    // A referenced message arrives whole: hand each grain on before reading the next, or a
    // forwarding step would forward only once all of it is in.
    if (data == nullptr && ch.forward >= 0 && ch.received < total) break;
  }
  if (ch.received == total) {
    ch.started = false;
    ch.forward = -1;
    *step_done = true;
  }
  return Status::Ok();
}

Status Engine::ProgressStep(ChannelState& ch, bool* progressed, bool* step_done) {
  const Step& step = (*ch.steps)[ch.next];
  *step_done = false;
  switch (step.op) {
    case OpCode::kSend: {
      Bytes len = Length(step.src);
      if (len > 0) {
        PostSend(ch, step.peer, Address(step.src), len, len);
        // On the wire at once when nothing older waits on the same queue: a small call's latency
        // is mostly this message's.
        PendingSend& mine = ch.sends.back();
        bool first = true;
        for (size_t i = 0; i + 1 < ch.sends.size() && first; ++i) {
          first = ch.sends[i].queue != mine.queue || ch.sends[i].sent == ch.sends[i].total;
        }
        if (first) CHORUS_RETURN_IF_ERROR(Push(mine, false, progressed));
      }
      *step_done = true;
      return Status::Ok();
    }
    case OpCode::kRecv:
    case OpCode::kRecvReduce:
    case OpCode::kRecvReduceSend:
    case OpCode::kRecvCopySend:
      if (step.dst.count == 0) { *step_done = true; return Status::Ok(); }
      return ProgressReceive(ch, step, progressed, step_done);
    case OpCode::kCopy:
    case OpCode::kLocalReduce: {
      const Bytes len = Length(step.dst);
      char* dst = Address(step.dst);
      if (len == 0) { *step_done = true; return Status::Ok(); }
      const char* src = Address(step.src);
      const bool apart = src + len <= dst || dst + len <= src;
      if (!ch.started) {
        if (WriteMustWait(ch, dst, len)) return Status::Ok();
        if (step.op == OpCode::kCopy && apart && RideAlong(ch, step, src, dst, len)) {
          *progressed = true;
          *step_done = true;
          return Status::Ok();
        }
        ch.started = true;
        ch.received = 0;
      }
      // In grains, so that the loop keeps the queues moving between them: a peer waiting on this
      // rank's sends is not held up for the whole of a large local copy. Partly overlapping
      // operands (memmove) go whole.
      const Bytes n = apart || src == dst ? std::min<Bytes>(kLocalGrain - kLocalGrain % esize_, len - ch.received) : len;
      const Bytes at = ch.received;
      if (step.op == OpCode::kCopy) {
        if (apart) {
          const host::Store store = StoreFor(step);
          host::Copy(dst + at, src + at, n, store);
        } else if (src != dst) {
          memmove(dst, src, len);
        }
      } else {
        host::Reduce(dst + at, src + at, dst + at, n / esize_, params_.dtype, redop_);
      }
      if (step.finalize) Finalize(dst + at, n);
      ch.received += n;
      *progressed = true;
      if (ch.received == len) {
        ch.started = false;
        *step_done = true;
      }
      return Status::Ok();
    }
    default:
      return InvalidUsage(std::string("the host engine cannot run step '") + sched::ToString(step) +
                          "': this transport has no memory or switch verbs");
  }
}

std::string Engine::Describe(const ChannelState& ch) const {
  std::string d = "channel " + std::to_string(ch.index) + ": ";
  if (ch.next < ch.steps->size()) {
    const Step& step = (*ch.steps)[ch.next];
    if (step.op != OpCode::kSend && step.peer >= 0) d += "receiving from rank " + std::to_string(step.peer) + ", ";
    d += "step " + std::to_string(ch.next) + " (" + sched::ToString(step) + ")";
    if (ch.started) d += ", " + std::to_string(ch.received) + " bytes received";
  } else {
    d += "all steps issued";
  }
  for (const auto& s : ch.sends) {
    d += "; sending to rank " + std::to_string(s.peer) + " " + std::to_string(s.sent) + "/" +
         std::to_string(s.total) + " bytes";
  }
  return d;
}

Status Engine::CheckStuck(const std::vector<ChannelState>& all, size_t nchannels, Clock::time_point deadline) {
  const auto channels = std::span<const ChannelState>(all.data(), nchannels);
  if (params_.abort_flag != nullptr && params_.abort_flag->load(std::memory_order_relaxed)) {
    return RemoteError(std::string(params_.what) + " aborted (chorusCommAbort)");
  }
  // Only the peers this rank waits on matter: a peer that finished its part and left is fine, and
  // a failure further away reaches us through the peer it blocks (which then declares failure).
  for (const auto& ch : channels) {
    if (ch.next < ch.steps->size() && (*ch.steps)[ch.next].peer >= 0) {
      const Rank peer = (*ch.steps)[ch.next].peer;
      Status st = params_.conns->PeerStatus(peer);
      // What a departed peer left in the FIFO is still good: stuck only once nothing remains.
      if (!st.ok()) {
        transport::MessageHeader hdr;
        const void* data = nullptr;
        Bytes n = 0;
        transport::RecvQueue* q = params_.conns->recv_queue(peer, ch.index);
        if (q != nullptr && q->TryPeek(&hdr, &data, &n).ok() && n > 0) st = Status::Ok();
      }
      if (!st.ok()) return RemoteError(std::string(params_.what) + " on rank " + std::to_string(program_.rank) + ": " + st.message() + " (" + Describe(ch) + ")");
    }
    for (const auto& snd : ch.sends) {
      Status st = params_.conns->PeerStatus(snd.peer);
      if (!st.ok()) return RemoteError(std::string(params_.what) + " on rank " + std::to_string(program_.rank) + ": " + st.message());
    }
  }
  if (Clock::now() > deadline) {
    std::string where;
    for (const auto& ch : channels) {
      if (!ch.done()) where += " [" + Describe(ch) + "]";
    }
    return Timeout(std::string(params_.what) + ": rank " + std::to_string(program_.rank) +
                   " timed out after " + std::to_string(params_.timeout_ms) + " ms waiting:" + where);
  }
  return Status::Ok();
}

}  // namespace

uint64_t EngineScratch::straight_calls() const { return impl_->straight_calls; }
uint64_t EngineScratch::ridden_copies() const { return impl_->ridden_copies; }
EngineScratch::EngineScratch() : impl_(std::make_unique<Impl>()) {}
EngineScratch::~EngineScratch() = default;

namespace {

Status Engine::Run() {
  std::vector<ChannelState> own;
  std::vector<ChannelState>& channels = params_.scratch != nullptr ? params_.scratch->impl()->channels : own;
  Status st = Loop(channels);
  if (!st.ok()) WithdrawReferences(channels, st);
  return st;
}

void Engine::WithdrawReferences(std::vector<ChannelState>& channels, const Status& why) {
  // The caller gets its buffers back when we return: a receiver still holding references to them
  // must first have finished reading, or must know that this rank failed (it checks after each
  // copy) — or be gone. Bounded, so that a receiver that never comes does not hold the error.
  bool outstanding = false;
  for (size_t c = 0; c < program_.channels.size(); ++c) {
    for (const auto& s : channels[c].sends) outstanding = outstanding || s.ticket != 0;
  }
  if (!outstanding) return;
  params_.conns->DeclareFailed(std::string(params_.what) + " failed on rank " + std::to_string(program_.rank) +
                               ": " + why.message());
  const auto give_up = Clock::now() + std::chrono::milliseconds(std::min<int64_t>(1000, std::max<int64_t>(1, params_.timeout_ms)));
  auto next_liveness = Clock::now();
  for (;;) {
    const bool check_liveness = Clock::now() >= next_liveness;
    if (check_liveness) next_liveness = Clock::now() + std::chrono::milliseconds(10);
    bool waiting = false;
    for (size_t c = 0; c < program_.channels.size(); ++c) {
      for (auto& s : channels[c].sends) {
        if (s.ticket == 0) continue;
        if (s.queue->Released(s.ticket) || params_.conns->PeerFailed(s.peer) ||
            (check_liveness && params_.conns->PeerDead(s.peer))) {
          s.ticket = 0;
        } else {
          waiting = true;
        }
      }
    }
    if (!waiting) return;
    if (Clock::now() > give_up) {
      CHORUS_WARN(kExec, "%s on rank %d: a peer still holds references to this call's buffers; returning them anyway",
                  params_.what, program_.rank);
      return;
    }
    timespec nap{0, 50 * 1000};
    nanosleep(&nap, nullptr);
  }
}

Status Engine::Loop(std::vector<ChannelState>& channels) {
  if (channels.size() < program_.channels.size()) channels.resize(program_.channels.size());
  for (size_t c = 0; c < program_.channels.size(); ++c) channels[c].Reset(static_cast<int>(c), &program_.channels[c].steps);
  for (size_t c = 0; c < program_.channels.size(); ++c) {
    if (static_cast<int>(c) >= params_.conns->channels() && !channels[c].steps->empty()) {
      return InternalError("program uses channel " + std::to_string(c) + " but the connections have " +
                           std::to_string(params_.conns->channels()));
    }
  }
  const size_t nchannels = program_.channels.size();
  if (nchannels == 1) {
    CHORUS_RETURN_IF_ERROR(RunStraight(channels[0]));
    if (channels[0].done() && params_.scratch != nullptr) ++params_.scratch->impl()->straight_calls;
  }
  // The timeout counts from the first idle check (a call busy moving data is not stuck), which
  // spares a small call reading the clock at all.
  Backoff backoff(params_.backoff);
  uint64_t idle = 0;
  Clock::time_point deadline{}, next_check{};
  bool clock_started = false;
  for (;;) {
    bool all_done = true;
    bool progressed = false;
    for (size_t c = 0; c < nchannels; ++c) {
      ChannelState& ch = channels[c];
      CHORUS_RETURN_IF_ERROR(ProgressSends(ch, &progressed));
      while (ch.next < ch.steps->size()) {
        bool step_done = false;
        CHORUS_RETURN_IF_ERROR(ProgressStep(ch, &progressed, &step_done));
        if (!step_done) break;
        ++ch.next;
        progressed = true;
      }
      if (progressed) CHORUS_RETURN_IF_ERROR(ProgressSends(ch, &progressed));
      all_done = all_done && ch.done();
    }
    if (all_done) return Status::Ok();
    if (progressed) {
      backoff.Reset();
      idle = 0;
    } else {
      backoff.Pause();
      // By time, not by rounds: on a loaded machine one yield can take milliseconds.
      if ((++idle & 0x3f) == 0) {
        const auto now = Clock::now();
        if (!clock_started) {
          // Looking a peer up in /proc costs tens of microseconds: not for a call that waits a
          // few. The first check comes after 10 ms idle, the abort flag is read every time.
          clock_started = true;
          deadline = now + std::chrono::milliseconds(params_.timeout_ms);
          next_check = now + std::chrono::milliseconds(10);
        }
        if (params_.abort_flag != nullptr && params_.abort_flag->load(std::memory_order_relaxed)) {
          return RemoteError(std::string(params_.what) + " aborted (chorusCommAbort)");
        }
        if (now >= next_check) {
          CHORUS_RETURN_IF_ERROR(CheckStuck(channels, nchannels, deadline));
          next_check = now + std::chrono::milliseconds(10);
        }
      }
    }
  }
}

}  // namespace

Status Execute(const sched::RankProgram& program, const ExecBuffers& buffers, const ExecParams& params) {
  if (params.conns == nullptr) return InternalError("Execute without connections");
  Engine engine(program, buffers, params);
  return engine.Run();
}

}  // namespace chorus::exec
