#include "algorithms/emit.h"

#include <limits>

namespace chorus::sched {

Count ChunkElems(const CollArgs& args) {
  if (args.chunk_bytes == 0 || args.elem_size == 0) return 0;
  Count c = args.chunk_bytes / args.elem_size;
  return c == 0 ? 1 : c;
}

Status CheckArgs(const CollArgs& args, Rank rank, const char* algorithm) {
  std::string who = std::string(algorithm) + ": ";
  if (args.nranks < 1) return InvalidArgument(who + "nranks must be >= 1");
  if (rank < 0 || rank >= args.nranks) return InvalidArgument(who + "rank out of range");
  if (args.channels < 1) return InvalidArgument(who + "channels must be >= 1");
  if (args.elem_size == 0) return InvalidArgument(who + "elem_size must be > 0");
  if (args.root < 0 || args.root >= args.nranks) return InvalidArgument(who + "root out of range");
  // Buffers of count * nranks elements must be addressable.
  if (args.count > std::numeric_limits<Count>::max() / static_cast<Count>(args.nranks) / 4)
    return InvalidArgument(who + "count too large");
  return Status::Ok();
}

void StartProgram(const CollArgs& args, Rank rank, RankProgram* out) {
  out->rank = rank;
  out->nranks = args.nranks;
  out->scratch_elems = 0;
  out->channels.assign(static_cast<size_t>(args.channels), ChannelProgram{});
}

Status GeneratePerChannel(const CollArgs& args, Rank rank, RankProgram* out,
                          const char* algorithm, bool (*applies)(const CollArgs&),
                          const ChannelBody& body, const char* requirement) {
  CHORUS_RETURN_IF_ERROR(CheckArgs(args, rank, algorithm));
  if (!applies(args)) return InvalidArgument(std::string(algorithm) + ": " + requirement);
  StartProgram(args, rank, out);
  const Count chunk = ChunkElems(args);
  Count scratch = 0;
  for (int c = 0; c < args.channels; ++c) {
    Emitter e(&out->channels[static_cast<size_t>(c)], chunk);
    scratch += body(e, ChannelRange(args.count, args.channels, c), scratch);
  }
  out->scratch_elems = scratch;
  return Status::Ok();
}

Count Emitter::Chunks(Count count) const {
  if (count == 0) return 0;
  if (chunk_ == 0) return 1;
  return (count + chunk_ - 1) / chunk_;
}

Count Emitter::ChunkCount(Count count, Count i) const {
  if (chunk_ == 0) return count;
  Count off = i * chunk_;
  Count left = count - off;
  return left < chunk_ ? left : chunk_;
}

void Emitter::Emit(Step step, Count count) {
  Count n = Chunks(count);
  for (Count i = 0; i < n; ++i) {
    Step s = step;
    Count off = ChunkOffset(i), cnt = ChunkCount(count, i);
    s.src.offset += off;
    s.src.count = s.src.count == 0 ? 0 : cnt;
    s.dst.offset += off;
    s.dst.count = s.dst.count == 0 ? 0 : cnt;
    ch_->steps.push_back(s);
  }
}

void Emitter::Send(Rank to, Slice src) {
  if (src.count == 0) return;
  Step s;
  s.op = OpCode::kSend;
  s.peer = to;
  s.src = src;
  s.dst.count = 0;
  Emit(s, src.count);
}

void Emitter::Recv(Rank from, Slice dst) {
  if (dst.count == 0) return;
  Step s;
  s.op = OpCode::kRecv;
  s.peer = from;
  s.src.count = 0;
  s.dst = dst;
  Emit(s, dst.count);
}

void Emitter::RecvReduce(Rank from, Slice src, Slice dst, bool finalize) {
  if (dst.count == 0) return;
  Step s;
  s.op = OpCode::kRecvReduce;
  s.peer = from;
  s.src = src;
  s.dst = dst;
  s.finalize = finalize;
  Emit(s, dst.count);
}

void Emitter::RecvReduceSend(Rank from, Slice src, Slice dst, Rank to, bool finalize) {
  if (dst.count == 0) return;
  Step s;
  s.op = OpCode::kRecvReduceSend;
  s.peer = from;
  s.send_peer = to;
  s.src = src;
  s.dst = dst;
  s.finalize = finalize;
  Emit(s, dst.count);
}

void Emitter::RecvCopySend(Rank from, Slice dst, Rank to) {
  if (dst.count == 0) return;
  Step s;
  s.op = OpCode::kRecvCopySend;
  s.peer = from;
  s.send_peer = to;
  s.src.count = 0;
  s.dst = dst;
  Emit(s, dst.count);
}

void Emitter::Copy(Slice src, Slice dst, bool finalize) {
  if (dst.count == 0) return;
  Step s;
  s.op = OpCode::kCopy;
  s.src = src;
  s.dst = dst;
  s.finalize = finalize;
  Emit(s, dst.count);
}

void Emitter::LocalReduce(Slice src, Slice dst, bool finalize) {
  if (dst.count == 0) return;
  Step s;
  s.op = OpCode::kLocalReduce;
  s.src = src;
  s.dst = dst;
  s.finalize = finalize;
  Emit(s, dst.count);
}

void Emitter::SwitchReduce(Slice src, Slice dst, bool finalize) {
  if (dst.count == 0) return;
  Step s;
  s.op = OpCode::kSwitchReduce;
  s.src = src;
  s.dst = dst;
  s.finalize = finalize;
  Emit(s, dst.count);
}

}  // namespace chorus::sched
