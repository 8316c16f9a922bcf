// Helpers every generator uses to write steps: chunking of logical messages, skipping empty ones,
// and splitting a call's data across channels. Generators stay readable: they say "receive block b
// from the left, reduce it, pass it on" and the emitter turns that into chunked steps.
#pragma once

#include <functional>
#include <string>

#include "algorithms/schedule.h"
#include "core/status.h"

namespace chorus::sched {

// The chunk grain, in elements, that `args` asks for: 0 means "no chunking" (one step per logical
// message; the executor still streams fused steps at its transport's slot grain).
Count ChunkElems(const CollArgs& args);

// Common argument checks for generate(): rank range, channels, element size, counts that fit.
Status CheckArgs(const CollArgs& args, Rank rank, const char* algorithm);

// Rank arithmetic modulo n for possibly negative offsets.
inline Rank Mod(long long r, int n) {
  long long m = r % n;
  return static_cast<Rank>(m < 0 ? m + n : m);
}

inline Slice In(Count offset, Count count) { return {Buffer::kInput, offset, count}; }
inline Slice Out(Count offset, Count count) { return {Buffer::kOutput, offset, count}; }
inline Slice Scratch(Count offset, Count count) { return {Buffer::kScratch, offset, count}; }

// Writes the steps of one channel. Every method takes one logical message, splits it into chunks
// of at most chunk_elems elements (0: one chunk) and emits nothing when it is empty, so both sides
// of a message, written with the same lengths, agree on the number and sizes of steps.
class Emitter {
 public:
  Emitter(ChannelProgram* channel, Count chunk_elems) : ch_(channel), chunk_(chunk_elems) {}

  void Send(Rank to, Slice src);
  void Recv(Rank from, Slice dst);
  void RecvReduce(Rank from, Slice src, Slice dst, bool finalize = false);
  void RecvReduceSend(Rank from, Slice src, Slice dst, Rank to, bool finalize = false);
  void RecvCopySend(Rank from, Slice dst, Rank to);
  void Copy(Slice src, Slice dst, bool finalize = false);
  void LocalReduce(Slice src, Slice dst, bool finalize = false);
  void SwitchReduce(Slice src, Slice dst, bool finalize = false);

  // An emitter for the same channel that never splits messages (for generators that cut their
  // own chunks).
  Emitter Unchunked() const { return Emitter(ch_, 0); }

  // Number of chunks a message of `count` elements is split into.
  Count Chunks(Count count) const;
  // The [offset, count) of chunk i of a message of `count` elements.
  Count ChunkOffset(Count i) const { return chunk_ == 0 ? 0 : i * chunk_; }
  Count ChunkCount(Count count, Count i) const;

 private:
  void Emit(Step step, Count count);
  ChannelProgram* ch_;
  Count chunk_;
};

// Channel c's share [offset, offset + count) of `count` elements split over `channels`.
struct Range {
  Count offset = 0;
  Count count = 0;
};
inline Range ChannelRange(Count count, int channels, int c) {
  return {PartOffset(count, channels, c), PartCount(count, channels, c)};
}
// Part i of `r` split into `parts` near-equal contiguous pieces.
inline Range Part(Range r, int parts, int i) {
  return {r.offset + PartOffset(r.count, parts, i), PartCount(r.count, parts, i)};
}

// Parts [lo, hi) of `r` split into `parts` near-equal pieces (Part), as one slice of buffer `b`.
inline Slice Blocks(Buffer b, Range r, int parts, int lo, int hi) {
  Count off = PartOffset(r.count, parts, lo), end = PartOffset(r.count, parts, hi);
  return {b, r.offset + off, end - off};
}
inline Slice Block(Buffer b, Range r, int parts, int i) { return Blocks(b, r, parts, i, i + 1); }

// Starts `out` for `args`: rank, nranks and args.channels empty channels.
void StartProgram(const CollArgs& args, Rank rank, RankProgram* out);

// One channel of a generator: writes the steps for channel part `part` (ChannelRange of
// args.count) with `e` and returns how many scratch elements it uses, from `scratch_base` on.
using ChannelBody = std::function<Count(Emitter& e, Range part, Count scratch_base)>;

// What every generator's generate() does around its algorithm: CheckArgs, then `applies` (failing
// with "<algorithm>: <requirement>"), StartProgram, and `body` once per channel, each with an
// Emitter at ChunkElems(args) and its scratch placed after the previous channels'.
Status GeneratePerChannel(const CollArgs& args, Rank rank, RankProgram* out,
                          const char* algorithm, bool (*applies)(const CollArgs&),
                          const ChannelBody& body,
                          const char* requirement = "unsupported collective");

}  // namespace chorus::sched
