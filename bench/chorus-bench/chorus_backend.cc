#include "chorus-bench/chorus_backend.h"

namespace chorus::bench {
namespace {

static_assert(static_cast<int>(DType::kF8e5m2) == chorusFloat8e5m2 && static_cast<int>(DType::kInt8) == chorusInt8 &&
              static_cast<int>(DType::kFloat16) == chorusFloat16 && static_cast<int>(DType::kFloat32) == chorusFloat32);
static_assert(static_cast<int>(Op::kAvg) == chorusAvg && static_cast<int>(Op::kSum) == chorusSum &&
              static_cast<int>(Op::kMin) == chorusMin);

chorusDataType_t ToChorus(DType t) { return static_cast<chorusDataType_t>(static_cast<int>(t)); }
chorusRedOp_t ToChorus(Op o) { return static_cast<chorusRedOp_t>(static_cast<int>(o)); }

}  // namespace

std::string ChorusVersionString() {
  int v = 0;
  if (chorusGetVersion(&v) != chorusSuccess) return "unknown";
  return std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." + std::to_string(v % 100);
}

ChorusBackend::ChorusBackend(chorusComm_t comm, bool forced_algo, bool owns, bool registered)
    : comm_(comm), forced_algo_(forced_algo), owns_(owns), registered_(registered) {
  chorusCommUserRank(comm_, &rank_);
  chorusCommCount(comm_, &nranks_);
}

ChorusBackend::~ChorusBackend() {
  if (owns_ && comm_ != nullptr) chorusCommDestroy(comm_);
}

std::string ChorusBackend::version() const { return ChorusVersionString(); }

namespace {
void* WindowAlloc(std::size_t bytes) {
  void* p = nullptr;
  return chorusMemAlloc(&p, bytes) == chorusSuccess ? p : nullptr;
}
void WindowFree(void* p) { chorusMemFree(p); }
}  // namespace

BufferMemory ChorusBackend::memory() const {
  return registered_ ? BufferMemory{WindowAlloc, WindowFree} : BufferMemory{};
}

CallStatus ChorusBackend::Supports(const Case&, bool) const { return CallStatus::Ok(); }

CallStatus ChorusBackend::Status(chorusResult_t r, const char* what) const {
  if (r == chorusSuccess) return CallStatus::Ok();
  std::string msg = std::string(what) + ": " + chorusGetErrorString(r) + ": " + chorusGetLastError(comm_);
  if (forced_algo_ && (r == chorusInvalidArgument || r == chorusInvalidUsage)) return CallStatus::Unsupported(msg);
  return CallStatus::Error(msg);
}

CallStatus ChorusBackend::Run(const Case& c, const CallBuffers& b) {
  const chorusDataType_t t = ToChorus(c.dtype);
  const std::size_t count = c.shape.count;
  switch (c.coll) {
    case Coll::kAllReduce:
      return Status(chorusAllReduce(b.send, b.recv, count, t, ToChorus(c.op), comm_, nullptr), "chorusAllReduce");
    case Coll::kAllGather:
      return Status(chorusAllGather(b.send, b.recv, count, t, comm_, nullptr), "chorusAllGather");
    case Coll::kReduceScatter:
      return Status(chorusReduceScatter(b.send, b.recv, count, t, ToChorus(c.op), comm_, nullptr),
                    "chorusReduceScatter");
    case Coll::kAllToAll:
      return Status(chorusAllToAll(b.send, b.recv, count, t, comm_, nullptr), "chorusAllToAll");
    case Coll::kBroadcast:
      return Status(chorusBroadcast(b.send, b.recv, count, t, c.root, comm_, nullptr), "chorusBroadcast");
    case Coll::kReduce:
      return Status(chorusReduce(b.send, b.recv, count, t, ToChorus(c.op), c.root, comm_, nullptr), "chorusReduce");
    case Coll::kSendRecv: {
      // nccl-tests' sendrecv: send to the next rank, receive from the previous one, as one group.
      const int next = (rank_ + 1) % nranks_;
      const int prev = (rank_ - 1 + nranks_) % nranks_;
      CallStatus s = Status(chorusGroupStart(), "chorusGroupStart");
      if (!s.ok()) return s;
      const CallStatus send = Status(chorusSend(b.send, count, t, next, comm_, nullptr), "chorusSend");
      const CallStatus recv = Status(chorusRecv(b.recv, count, t, prev, comm_, nullptr), "chorusRecv");
      s = Status(chorusGroupEnd(), "chorusGroupEnd");
      if (!send.ok()) return send;
      if (!recv.ok()) return recv;
      return s;
    }
  }
  return CallStatus::Error("unknown collective");
}

CallStatus ChorusBackend::Barrier() { return Status(chorusBarrier(comm_, nullptr), "chorusBarrier"); }

CallStatus ChorusBackend::AllGather(const double* mine, int n, double* all) {
  return Status(chorusAllGather(mine, all, static_cast<std::size_t>(n), chorusFloat64, comm_, nullptr),
                "chorusAllGather (results)");
}

}  // namespace chorus::bench
