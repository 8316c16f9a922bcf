#include "core/comm.h"

#include <cstring>
#include <exception>
#include <span>

#include "algorithms/registry.h"
#include "core/env.h"
#include "core/log.h"
#include "device/host/copy.h"
#include "exec/host_engine.h"
#include "tune/tuner.h"
#include "transports/shm/shm_transport.h"

namespace chorus {

namespace {

constexpr uint64_t kPointToPointTag = 0x5032500000000000ull;  // "P2P": send/recv batches
constexpr size_t kMaxCachedPrograms = 256;

uint64_t Mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
  return h * 0xBF58476D1CE4E5B9ull;
}

}  // namespace

Status ResolveConfig(const chorusConfig_t* config, CommConfig* out) {
  CommConfig c;
  c.timeout_ms = EnvInt("CHORUS_TIMEOUT", 600) * 1000;
  c.channels = static_cast<int>(EnvInt("CHORUS_CHANNELS", 1));
  const int64_t nt = EnvInt("CHORUS_NT_STORE_BYTES", int64_t{16} << 20);
  if (nt < 0) return InvalidArgument("CHORUS_NT_STORE_BYTES=" + std::to_string(nt) + " is negative");
  c.stream_results_bytes = static_cast<Bytes>(nt);
  if (c.channels < 1 || c.channels > 64) {
    return InvalidArgument("CHORUS_CHANNELS=" + std::to_string(c.channels) + " is outside [1, 64]");
  }
  if (config != nullptr) {
    if (config->magic != CHORUS_CONFIG_MAGIC || config->size < sizeof(size_t) * 2) {
      return InvalidArgument("config was not initialised with CHORUS_CONFIG_INITIALIZER");
    }
    if (config->timeoutMs > 0) c.timeout_ms = config->timeoutMs;
    if (config->commName != nullptr) c.name = config->commName;
    if (config->deviceKind > chorusDeviceCpu) {
      return InvalidArgument("config.deviceKind " + std::to_string(config->deviceKind) +
                             ": this build has only the CPU backend");
    }
  }
  if (c.timeout_ms <= 0) return InvalidArgument("CHORUS_TIMEOUT must be positive");
  *out = c;
  return Status::Ok();
}

Status Communicator::Create(const chorusUniqueId& id, int nranks, Rank rank, const CommConfig& config,
                            std::unique_ptr<Communicator>* out) {
  auto comm = std::make_unique<Communicator>(rank, nranks, config);
  CHORUS_RETURN_IF_ERROR(comm->Init(id));
  *out = std::move(comm);
  return Status::Ok();
}

Status Communicator::Init(const chorusUniqueId& id) {
  Communicator* comm = this;
  const int nranks = nranks_;
  const Rank rank = rank_;
  const CommConfig& config = config_;
  BootstrapOptions bopts;
  bopts.timeout_ms = config.timeout_ms;
  bopts.abort_flag = &comm->abort_;
  CHORUS_RETURN_IF_ERROR(Bootstrap::Create(id, rank, nranks, bopts, &comm->bootstrap_));

  CHORUS_RETURN_IF_ERROR(comm->AgreeOnMachine());
  std::unique_ptr<shm::ShmConnections> shm;
  CHORUS_RETURN_IF_ERROR(
      shm::ShmConnections::Create(comm->bootstrap_.get(), shm::ShmOptionsFromEnv(config.channels), &shm));
  comm->conns_ = std::move(shm);
  // By the CPUs all ranks may use together, not this rank's mask alone: under mpirun's
  // --bind-to core each rank sees one CPU, yet every rank has its own.
  comm->backoff_ = BackoffPolicy::For(nranks, comm->cores_);
  CHORUS_INFO(kInit, "%s: rank %d of %d ready (shm, %d channel(s), timeout %lld ms)", config.name.c_str(),
              rank, nranks, config.channels, static_cast<long long>(config.timeout_ms));
  return Status::Ok();
}

Communicator::~Communicator() {
  conns_.reset();
  if (bootstrap_) bootstrap_->Close();
  bootstrap_.reset();
}

Status Communicator::Scratch(Bytes bytes, void** out) {
  *out = nullptr;
  if (scratch_.size() < bytes) {
    // The library reports errors; it does not throw them through the C API.
    try {
      // What scratch held is of no use to the next call: free it first rather than copy it into
      // the larger buffer (which would need both at once).
      std::vector<char>().swap(scratch_);
      scratch_.resize(bytes);
    } catch (const std::exception&) {
      // The peers are already in this call, some sending to us: breaking the communicator (and
      // declaring the failure to them) fails them now rather than at their timeout, and keeps
      // what they sent from being read as a later call's data.
      data_path_failed_ = true;
      return SystemError("out of memory: " + std::to_string(bytes) + " bytes of scratch for this call");
    }
  }
  *out = scratch_.data();
  return Status::Ok();
}

uint64_t Communicator::NextCollectiveTag(const CommOp& op) {
  // The call's signature folded into one word (the small fields in bit ranges of their own, the
  // count spread by an odd multiplier), then two rounds of mixing: a chain of six cost a small
  // call several nanoseconds. Messages also carry their size, which is checked on its own.
  const uint64_t fields = static_cast<uint64_t>(op.coll) | static_cast<uint64_t>(op.dtype) << 8 |
                          static_cast<uint64_t>(op.op) << 16 | static_cast<uint64_t>(static_cast<uint32_t>(op.root)) << 32;
  const uint64_t h = Mix(Mix(0x43484f5255530000ull, ++collective_seq_), fields ^ (op.count * 0x9E3779B97F4A7C15ull));
  return h & ~0xFull;  // never equal to the point-to-point tag's low bits by construction
}

Status Communicator::ProgramFor(const sched::CollArgs& args, const std::string& algo,
                                const sched::RankProgram** out) {
  ProgramKey key{static_cast<int>(args.coll) * 16 + static_cast<int>(args.op), args.count, args.root,
                 static_cast<int>(args.elem_size), args.in_place, args.has_output, args.chunk_bytes,
                 args.channels, args.ranks_per_node, args.has_reducing_switch, algo};
  auto it = programs_.find(key);
  if (it == programs_.end()) {
    const sched::Algorithm* a = sched::FindAlgorithm(algo);
    if (a == nullptr) return InternalError("algorithm '" + algo + "' vanished");
    sched::RankProgram program;
    CHORUS_RETURN_IF_ERROR(a->generate(args, rank_, &program));
    sched::MarkUnreadResults(args, &program);
    if (programs_.size() >= kMaxCachedPrograms) {
      programs_.clear();
      last_call_.program = nullptr;
    }
    it = programs_.emplace(key, std::move(program)).first;
  }
  *out = &it->second;
  return Status::Ok();
}

Status Communicator::RunCollective(const CommOp& requested) {
  CommOp op = requested;
  if (op.coll == Collective::kBarrier) {
    // A barrier is a one-byte all-reduce on the communicator's own bytes: it rides the same fast
    // path as any small collective.
    op = CommOp{Collective::kAllReduce, &barrier_in_, &barrier_out_, 1, DataType::kUint8, ReduceOp::kMax};
  }
  const uint64_t tag = NextCollectiveTag(op);
  if (op.count == 0) return Status::Ok();
  const Bytes esize = SizeOf(op.dtype);
  const bool has_output = !(op.coll == Collective::kReduce && rank_ != op.root);
  const char* in = static_cast<const char*>(op.sendbuff);
  const char* out = static_cast<const char*>(op.recvbuff);
  bool in_place = false;
  switch (op.coll) {
    case Collective::kAllGather: in_place = in == out + op.count * esize * rank_; break;
    case Collective::kReduceScatter: in_place = out == in + op.count * esize * rank_; break;
    default: in_place = in == out && in != nullptr; break;
  }
  LastCall& last = last_call_;
  // A loop of identical calls (the common case) reuses the last call's program and choices
  // without building the arguments again.
  if (last.program == nullptr || last.coll != op.coll || last.count != op.count || last.dtype != op.dtype ||
      last.op != op.op || last.root != op.root || last.in_place != in_place) {
    sched::CollArgs args;
    args.coll = op.coll;
    args.nranks = nranks_;
    args.count = op.count;
    args.root = op.root;
    args.op = op.op;
    args.elem_size = esize;
    args.channels = config_.channels;
    args.has_output = has_output;
    args.in_place = in_place;
    CHORUS_RETURN_IF_ERROR(tune::ApplyTopologyHints(hints_, op.dtype, &args));
    // The host engine runs message verbs only: no switch reductions over shared memory.
    args.has_reducing_switch = false;
    tune::Choice choice;
    CHORUS_RETURN_IF_ERROR(tuner_->Choose(args, &choice));
    const sched::RankProgram* program = nullptr;
    CHORUS_RETURN_IF_ERROR(ProgramFor(choice.args, choice.algorithm->name, &program));
    const bool stream_results = config_.stream_results_bytes > 0 && has_output &&
                                sched::OutputElems(args) * esize >= config_.stream_results_bytes;
    last = LastCall{op.coll, op.count, op.dtype, op.op, op.root, in_place, program, choice.algorithm->name, stream_results};
  }
  const sched::RankProgram* program = last.program;
  const char* algo = last.algo;
  CHORUS_TRACE(kColl, "%s %s count=%zu %s %s root=%d -> %s%s", config_.name.c_str(), Name(op.coll),
               op.count, Name(op.dtype), Name(op.op), op.root, algo, in_place ? " (in place)" : "");

  exec::ExecBuffers buffers;
  buffers.base[static_cast<int>(sched::Buffer::kInput)] = const_cast<void*>(op.sendbuff);
  buffers.base[static_cast<int>(sched::Buffer::kOutput)] = has_output ? op.recvbuff : nullptr;
  if (program->scratch_elems > 0) {
    CHORUS_RETURN_IF_ERROR(Scratch(program->scratch_elems * esize, &buffers.base[static_cast<int>(sched::Buffer::kScratch)]));
  }
  exec::ExecParams params;
  params.dtype = op.dtype;
  params.op = op.op;
  params.tag = tag;
  params.conns = conns_.get();
  params.abort_flag = &abort_;
  params.timeout_ms = config_.timeout_ms;
  params.what = Name(op.coll);
  params.backoff = backoff_;
  params.scratch = &engine_scratch_;
  params.stream_results = last.stream_results;

  Status st = exec::Execute(*program, buffers, params);
  if (!st.ok()) data_path_failed_ = true;
  conns_->AfterCall();
  return st;
}

Status Communicator::SnapshotSendsUnderReceives(std::vector<sched::Step>* steps, bool* piecewise) {
  // A receive into bytes that a send of the same group still reads must wait for that send (the
  // engine's write-after-send rule), and the send waits for the peer, whose receive may wait the
  // same way: an in-place exchange larger than the FIFO would deadlock. Such sends go from a copy
  // taken before anything is received, as MPI_Sendrecv_replace does; the group's sends then carry
  // what the buffers held at chorusGroupEnd.
  //
  // Except the common case, one send and one receive of the very same bytes, sent by copy: there
  // the receive may write each piece once the send has pushed it (ExecParams::
  // piecewise_write_hazard). In a ring of such ranks a receive at byte r needs its send past
  // r + one slot, and a send is held only by a full FIFO (r_next + capacity): all blocked at once
  // would need r > r_next + capacity - slot around the whole ring, which cannot be. A send by
  // reference is released only once the peer has read it, so it still gets the snapshot.
  *piecewise = false;
  auto overlaps = [](const sched::Slice& a, const sched::Slice& b) {
    return a.offset < b.offset + b.count && b.offset < a.offset + a.count;
  };
  if (steps->size() == 2 && (*steps)[0].op == sched::OpCode::kSend && (*steps)[1].op == sched::OpCode::kRecv) {
    const sched::Step& send = (*steps)[0];
    const sched::Step& recv = (*steps)[1];
    if (send.src.offset == recv.dst.offset && send.src.count == recv.dst.count) {
      const transport::SendQueue* q = conns_->send_queue(send.peer, 0);
      const Bytes ref_min = q != nullptr ? q->ref_min_bytes(reinterpret_cast<const void*>(send.src.offset), send.src.count) : 1;
      if (q != nullptr && (ref_min == 0 || send.src.count < ref_min)) {
        *piecewise = true;
        return Status::Ok();
      }
    }
  }
  std::vector<size_t> copied;
  Bytes total = 0;
  for (size_t i = 0; i < steps->size(); ++i) {
    const sched::Step& send = (*steps)[i];
    if (send.op != sched::OpCode::kSend) continue;
    for (const sched::Step& recv : *steps) {
      if (recv.op == sched::OpCode::kRecv && overlaps(send.src, recv.dst)) {
        copied.push_back(i);
        total += send.src.count;
        break;
      }
    }
  }
  if (copied.empty()) return Status::Ok();
  void* room = nullptr;
  CHORUS_RETURN_IF_ERROR(Scratch(total, &room));
  char* snapshot = static_cast<char*>(room);
  for (size_t i : copied) {
    sched::Slice& src = (*steps)[i].src;
    // Read again only by the send, long after a large copy has left the cache.
    const bool large = config_.stream_results_bytes > 0 && src.count >= config_.stream_results_bytes;
    host::Copy(snapshot, reinterpret_cast<const void*>(src.offset), src.count, large ? host::Store::kStreamed : host::Store::kCached);
    src.offset = reinterpret_cast<uintptr_t>(snapshot);
    snapshot += src.count;
  }
  return Status::Ok();
}

Status Communicator::RunPointToPoint(const std::vector<const CommOp*>& ops) {
  // One program, absolutely addressed in bytes: every send is posted first, then the receives run
  // in order, so a group's sends and receives never wait on each other.
  sched::RankProgram& program = p2p_program_;
  program.rank = rank_;
  program.nranks = nranks_;
  program.channels.resize(1);
  auto& steps = program.channels[0].steps;
  steps.clear();
  for (int pass = 0; pass < 2; ++pass) {
    for (const CommOp* op : ops) {
      if (op->is_send != (pass == 0)) continue;
      Bytes bytes = op->count * SizeOf(op->dtype);
      if (bytes == 0) continue;
      // Built in place: a step assembled on the stack and copied in stalls on store forwarding,
      // a tenth of a small batch's time.
      sched::Step& s = steps.emplace_back();
      s.op = op->is_send ? sched::OpCode::kSend : sched::OpCode::kRecv;
      s.peer = op->root;
      (op->is_send ? s.src : s.dst) =
          sched::Slice{sched::Buffer::kInput, reinterpret_cast<uintptr_t>(op->is_send ? op->sendbuff : op->recvbuff), bytes};
    }
  }
  if (steps.empty()) return Status::Ok();
  bool piecewise = false;
  CHORUS_RETURN_IF_ERROR(SnapshotSendsUnderReceives(&steps, &piecewise));
  // Received bytes are the call's results, which nothing in the group reads again (a send of the
  // same bytes goes from its snapshot): a large batch writes them with streaming stores, as a
  // collective of that size writes its output.
  Bytes received = 0;
  for (const sched::Step& s : steps) received += s.op == sched::OpCode::kRecv ? s.dst.count : 0;
  const bool stream = config_.stream_results_bytes > 0 && received >= config_.stream_results_bytes;
  for (sched::Step& s : steps) s.result_unread = stream && s.op == sched::OpCode::kRecv;
  exec::ExecBuffers buffers;  // all null: absolute addressing
  exec::ExecParams params;
  params.dtype = DataType::kUint8;
  params.tag = kPointToPointTag;
  params.conns = conns_.get();
  params.abort_flag = &abort_;
  params.timeout_ms = config_.timeout_ms;
  params.what = "send/recv";
  params.backoff = backoff_;
  params.scratch = &engine_scratch_;
  params.stream_results = stream;
  params.piecewise_write_hazard = piecewise;
  Status st = exec::Execute(program, buffers, params);
  if (!st.ok()) data_path_failed_ = true;
  conns_->AfterCall();
  return st;
}

Status Communicator::Run(const CommOp* ops, size_t n) {
  if (!broken_.ok()) {
    return Status(broken_.code(), "communicator unusable after an earlier failure: " + broken_.message());
  }
  if (aborted()) return InvalidUsage("communicator was aborted");
  std::vector<const CommOp*>& p2p = p2p_ops_;
  p2p.clear();
  for (const CommOp& op : std::span<const CommOp>(ops, n)) {
    if (op.coll == Collective::kSendRecv) p2p.push_back(&op);
  }
  Status st;
  if (!p2p.empty()) st = RunPointToPoint(p2p);
  for (const CommOp& op : std::span<const CommOp>(ops, n)) {
    if (!st.ok()) break;
    if (op.coll != Collective::kSendRecv) st = RunCollective(op);
  }
  // Only a failure on the data path leaves the connections unusable; a call refused before it
  // moved any data (a forced algorithm that does not apply, say) leaves the communicator healthy.
  if (!st.ok() && data_path_failed_) {
    broken_ = st;
    // Peers blocked on this rank learn of it now rather than at their timeout.
    conns_->DeclareFailed(std::string(chorusGetErrorString(st.code())) + ": " + st.message());
  }
  return st;
}

}  // namespace chorus
