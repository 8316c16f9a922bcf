#include "algorithms/schedule.h"

#include <sstream>

namespace chorus::sched {

const char* Name(OpCode op) {
  switch (op) {
    case OpCode::kSend: return "send";
    case OpCode::kRecv: return "recv";
    case OpCode::kRecvReduce: return "recv-reduce";
    case OpCode::kRecvReduceSend: return "recv-reduce-send";
    case OpCode::kRecvCopySend: return "recv-copy-send";
    case OpCode::kCopy: return "copy";
    case OpCode::kLocalReduce: return "local-reduce";
    case OpCode::kPut: return "put";
    case OpCode::kGet: return "get";
    case OpCode::kSignal: return "signal";
    case OpCode::kWait: return "wait";
    case OpCode::kSwitchReduce: return "switch-reduce";
  }
  return "invalid";
}

Count InputElems(const CollArgs& a) {
  switch (a.coll) {
    case Collective::kReduceScatter:
    case Collective::kAllToAll: return a.count * static_cast<Count>(a.nranks);
    default: return a.count;
  }
}

Count OutputElems(const CollArgs& a) {
  switch (a.coll) {
    case Collective::kAllGather:
    case Collective::kAllToAll: return a.count * static_cast<Count>(a.nranks);
    default: return a.count;
  }
}

Count InPlaceInputOffset(const CollArgs& a, Rank rank) {
  // All-gather's in-place input is the rank's own block of the output.
  return a.coll == Collective::kAllGather ? a.count * static_cast<Count>(rank) : 0;
}

namespace {
const char* BufferName(Buffer b) {
  switch (b) {
    case Buffer::kInput: return "in";
    case Buffer::kOutput: return "out";
    case Buffer::kScratch: return "scratch";
  }
  return "?";
}
std::string SliceString(const Slice& s) {
  std::ostringstream o;
  o << BufferName(s.buffer) << "[" << s.offset << "+" << s.count << "]";
  return o.str();
}
}  // namespace

std::string ToString(const Step& s) {
  std::ostringstream o;
  o << Name(s.op);
  if (s.peer >= 0) o << " peer=" << s.peer;
  if (s.send_peer >= 0) o << " ->" << s.send_peer;
  switch (s.op) {
    case OpCode::kSend: o << " " << SliceString(s.src); break;
    case OpCode::kRecv:
    case OpCode::kRecvCopySend: o << " " << SliceString(s.dst); break;
    default: o << " " << SliceString(s.src) << " -> " << SliceString(s.dst); break;
  }
  if (s.finalize) o << " final";
  return o.str();
}

std::string ToString(const RankProgram& p) {
  std::ostringstream o;
  o << "rank " << p.rank << "/" << p.nranks << " scratch=" << p.scratch_elems << "\n";
  for (size_t c = 0; c < p.channels.size(); ++c) {
    o << " channel " << c << ":\n";
    for (const auto& s : p.channels[c].steps) o << "  " << ToString(s) << "\n";
  }
  return o.str();
}

}  // namespace chorus::sched
