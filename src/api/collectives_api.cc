// The collective and point-to-point entry points: validate, then run or queue.
#include <string>

#include "api/group.h"
#include "api/handle.h"

using chorus::Collective;
using chorus::CommOp;
using chorus::Count;
using chorus::DataType;
using chorus::ReduceOp;
using chorus::Status;

namespace {

// Element counts beyond this cannot be addressed in bytes on a 64-bit machine.
bool CountOverflows(Count count, Count multiplier, Count esize) {
  if (multiplier != 0 && count > SIZE_MAX / multiplier) return true;
  Count n = count * multiplier;
  return esize != 0 && n > SIZE_MAX / esize;
}

bool Overlap(const void* a, size_t abytes, const void* b, size_t bbytes) {
  auto pa = reinterpret_cast<uintptr_t>(a), pb = reinterpret_cast<uintptr_t>(b);
  return pa < pb + bbytes && pb < pa + abytes;
}

struct Checked {
  Status status;
  int nranks = 0;
  int rank = 0;
};

// The checks run on every call, so they are inlined into each entry point and a good argument
// costs a compare; what went wrong is worded out of line, on the cold path.
#define CHORUS_CHECK inline __attribute__((always_inline))
[[gnu::cold, gnu::noinline]] Status Invalid(const char* fn, const std::string& what) {
  return chorus::InvalidArgument(std::string(fn) + ": " + what);
}

// The checks common to every call: a live comm, a known type (and op), a CPU stream.
CHORUS_CHECK Checked CheckCommon(chorusComm_t comm, const char* fn, int datatype, int op, bool needs_op,
                                 chorusStream_t stream) {
  Checked c;
  c.status = chorus::api::CheckComm(comm, fn);
  if (!c.status.ok()) return c;
  c.nranks = comm->impl->size();
  c.rank = comm->impl->rank();
  if (datatype < 0 || datatype >= chorusNumTypes) {
    c.status = Invalid(fn, "invalid datatype " + std::to_string(datatype));
  } else if (needs_op && (op < 0 || op >= chorusNumOps)) {
    c.status = Invalid(fn, "invalid reduction op " + std::to_string(op));
  } else if (stream != nullptr) {
    c.status = Invalid(fn, "stream must be NULL on a CPU communicator (calls complete before returning)");
  }
  return c;
}

CHORUS_CHECK Status CheckBuffer(const char* fn, const char* which, const void* p, Count count) {
  if (p == nullptr && count > 0) return Invalid(fn, std::string(which) + " is NULL");
  return Status::Ok();
}

CHORUS_CHECK Status CheckRank(const char* fn, const char* which, int r, int nranks) {
  if (r < 0 || r >= nranks) {
    return Invalid(fn, std::string(which) + " " + std::to_string(r) + " is outside [0, " + std::to_string(nranks) + ")");
  }
  return Status::Ok();
}

// Input and output must be identical (in place), or not overlap at all.
CHORUS_CHECK Status CheckAliasing(const char* fn, const void* in, size_t in_bytes, const void* in_place_at,
                                  const void* out, size_t out_bytes) {
  if (in == nullptr || out == nullptr || in == in_place_at) return Status::Ok();
  if (Overlap(in, in_bytes, out, out_bytes)) {
    return Invalid(fn, "send and receive buffers overlap without being the documented in-place layout");
  }
  return Status::Ok();
}

chorusResult_t Fail(chorusComm_t comm, const Status& st) {
  return chorus::api::Report(chorus::api::IsLive(comm) ? comm : nullptr, st);
}

}  // namespace

extern "C" {

chorusResult_t chorusAllReduce(const void* sendbuff, void* recvbuff, size_t count,
                               chorusDataType_t datatype, chorusRedOp_t op, chorusComm_t comm,
                               chorusStream_t stream) {
  const char* fn = "chorusAllReduce";
  Checked c = CheckCommon(comm, fn, datatype, op, true, stream);
  Status& st = c.status;
  Count es = st.ok() ? chorus::SizeOf(static_cast<DataType>(datatype)) : 1;
  if (st.ok() && CountOverflows(count, 1, es)) st = chorus::InvalidArgument(std::string(fn) + ": count too large");
  if (st.ok()) st = CheckBuffer(fn, "sendbuff", sendbuff, count);
  if (st.ok()) st = CheckBuffer(fn, "recvbuff", recvbuff, count);
  if (st.ok()) st = CheckAliasing(fn, sendbuff, count * es, recvbuff, recvbuff, count * es);
  if (!st.ok()) return Fail(comm, st);
  return chorus::api::Submit(comm, CommOp{Collective::kAllReduce, sendbuff, recvbuff, count,
                                          static_cast<DataType>(datatype), static_cast<ReduceOp>(op), 0, false});
}

chorusResult_t chorusAllGather(const void* sendbuff, void* recvbuff, size_t sendcount,
                               chorusDataType_t datatype, chorusComm_t comm, chorusStream_t stream) {
  const char* fn = "chorusAllGather";
  Checked c = CheckCommon(comm, fn, datatype, 0, false, stream);
  Status& st = c.status;
  Count es = st.ok() ? chorus::SizeOf(static_cast<DataType>(datatype)) : 1;
  if (st.ok() && CountOverflows(sendcount, c.nranks, es)) st = chorus::InvalidArgument(std::string(fn) + ": sendcount too large");
  if (st.ok()) st = CheckBuffer(fn, "sendbuff", sendbuff, sendcount);
  if (st.ok()) st = CheckBuffer(fn, "recvbuff", recvbuff, sendcount);
  if (st.ok()) {
    const char* own = static_cast<const char*>(recvbuff) + sendcount * es * c.rank;
    st = CheckAliasing(fn, sendbuff, sendcount * es, own, recvbuff, sendcount * es * c.nranks);
  }
  if (!st.ok()) return Fail(comm, st);
  return chorus::api::Submit(comm, CommOp{Collective::kAllGather, sendbuff, recvbuff, sendcount,
                                          static_cast<DataType>(datatype), ReduceOp::kSum, 0, false});
}

chorusResult_t chorusReduceScatter(const void* sendbuff, void* recvbuff, size_t recvcount,
                                   chorusDataType_t datatype, chorusRedOp_t op, chorusComm_t comm,
                                   chorusStream_t stream) {
  const char* fn = "chorusReduceScatter";
  Checked c = CheckCommon(comm, fn, datatype, op, true, stream);
  Status& st = c.status;
  Count es = st.ok() ? chorus::SizeOf(static_cast<DataType>(datatype)) : 1;
  if (st.ok() && CountOverflows(recvcount, c.nranks, es)) st = chorus::InvalidArgument(std::string(fn) + ": recvcount too large");
  if (st.ok()) st = CheckBuffer(fn, "sendbuff", sendbuff, recvcount);
  if (st.ok()) st = CheckBuffer(fn, "recvbuff", recvbuff, recvcount);
  if (st.ok() && sendbuff != nullptr && recvbuff != nullptr) {
    const char* own = static_cast<const char*>(sendbuff) + recvcount * es * c.rank;
    if (recvbuff != own && Overlap(sendbuff, recvcount * es * c.nranks, recvbuff, recvcount * es)) {
      st = chorus::InvalidArgument(std::string(fn) +
                                   ": send and receive buffers overlap without being the documented in-place layout");
    }
  }
  if (!st.ok()) return Fail(comm, st);
  return chorus::api::Submit(comm, CommOp{Collective::kReduceScatter, sendbuff, recvbuff, recvcount,
                                          static_cast<DataType>(datatype), static_cast<ReduceOp>(op), 0, false});
}

chorusResult_t chorusAllToAll(const void* sendbuff, void* recvbuff, size_t count,
                              chorusDataType_t datatype, chorusComm_t comm, chorusStream_t stream) {
  const char* fn = "chorusAllToAll";
  Checked c = CheckCommon(comm, fn, datatype, 0, false, stream);
  Status& st = c.status;
  Count es = st.ok() ? chorus::SizeOf(static_cast<DataType>(datatype)) : 1;
  if (st.ok() && CountOverflows(count, c.nranks, es)) st = chorus::InvalidArgument(std::string(fn) + ": count too large");
  if (st.ok()) st = CheckBuffer(fn, "sendbuff", sendbuff, count);
  if (st.ok()) st = CheckBuffer(fn, "recvbuff", recvbuff, count);
  if (st.ok()) st = CheckAliasing(fn, sendbuff, count * es * c.nranks, recvbuff, recvbuff, count * es * c.nranks);
  if (!st.ok()) return Fail(comm, st);
  return chorus::api::Submit(comm, CommOp{Collective::kAllToAll, sendbuff, recvbuff, count,
                                          static_cast<DataType>(datatype), ReduceOp::kSum, 0, false});
}

chorusResult_t chorusBroadcast(const void* sendbuff, void* recvbuff, size_t count,
                               chorusDataType_t datatype, int root, chorusComm_t comm,
                               chorusStream_t stream) {
  const char* fn = "chorusBroadcast";
  Checked c = CheckCommon(comm, fn, datatype, 0, false, stream);
  Status& st = c.status;
  Count es = st.ok() ? chorus::SizeOf(static_cast<DataType>(datatype)) : 1;
  if (st.ok()) st = CheckRank(fn, "root", root, c.nranks);
  if (st.ok() && CountOverflows(count, 1, es)) st = chorus::InvalidArgument(std::string(fn) + ": count too large");
  if (st.ok() && c.rank == root) st = CheckBuffer(fn, "sendbuff (on the root)", sendbuff, count);
  if (st.ok()) st = CheckBuffer(fn, "recvbuff", recvbuff, count);
  if (st.ok() && c.rank == root) st = CheckAliasing(fn, sendbuff, count * es, recvbuff, recvbuff, count * es);
  if (!st.ok()) return Fail(comm, st);
  // Only the root's send buffer is read.
  const void* in = c.rank == root ? sendbuff : nullptr;
  return chorus::api::Submit(comm, CommOp{Collective::kBroadcast, in, recvbuff, count,
                                          static_cast<DataType>(datatype), ReduceOp::kSum, root, false});
}

chorusResult_t chorusReduce(const void* sendbuff, void* recvbuff, size_t count,
                            chorusDataType_t datatype, chorusRedOp_t op, int root,
                            chorusComm_t comm, chorusStream_t stream) {
  const char* fn = "chorusReduce";
  Checked c = CheckCommon(comm, fn, datatype, op, true, stream);
  Status& st = c.status;
  Count es = st.ok() ? chorus::SizeOf(static_cast<DataType>(datatype)) : 1;
  if (st.ok()) st = CheckRank(fn, "root", root, c.nranks);
  if (st.ok() && CountOverflows(count, 1, es)) st = chorus::InvalidArgument(std::string(fn) + ": count too large");
  if (st.ok()) st = CheckBuffer(fn, "sendbuff", sendbuff, count);
  if (st.ok() && c.rank == root) st = CheckBuffer(fn, "recvbuff (on the root)", recvbuff, count);
  if (st.ok() && c.rank == root) st = CheckAliasing(fn, sendbuff, count * es, recvbuff, recvbuff, count * es);
  if (!st.ok()) return Fail(comm, st);
  void* out = c.rank == root ? recvbuff : nullptr;
  return chorus::api::Submit(comm, CommOp{Collective::kReduce, sendbuff, out, count,
                                          static_cast<DataType>(datatype), static_cast<ReduceOp>(op), root, false});
}

chorusResult_t chorusSend(const void* sendbuff, size_t count, chorusDataType_t datatype, int peer,
                          chorusComm_t comm, chorusStream_t stream) {
  const char* fn = "chorusSend";
  Checked c = CheckCommon(comm, fn, datatype, 0, false, stream);
  Status& st = c.status;
  Count es = st.ok() ? chorus::SizeOf(static_cast<DataType>(datatype)) : 1;
  if (st.ok()) st = CheckRank(fn, "peer", peer, c.nranks);
  if (st.ok() && CountOverflows(count, 1, es)) st = chorus::InvalidArgument(std::string(fn) + ": count too large");
  if (st.ok()) st = CheckBuffer(fn, "sendbuff", sendbuff, count);
  if (!st.ok()) return Fail(comm, st);
  return chorus::api::Submit(comm, CommOp{Collective::kSendRecv, sendbuff, nullptr, count,
                                          static_cast<DataType>(datatype), ReduceOp::kSum, peer, true});
}

chorusResult_t chorusRecv(void* recvbuff, size_t count, chorusDataType_t datatype, int peer,
                          chorusComm_t comm, chorusStream_t stream) {
  const char* fn = "chorusRecv";
  Checked c = CheckCommon(comm, fn, datatype, 0, false, stream);
  Status& st = c.status;
  Count es = st.ok() ? chorus::SizeOf(static_cast<DataType>(datatype)) : 1;
  if (st.ok()) st = CheckRank(fn, "peer", peer, c.nranks);
  if (st.ok() && CountOverflows(count, 1, es)) st = chorus::InvalidArgument(std::string(fn) + ": count too large");
  if (st.ok()) st = CheckBuffer(fn, "recvbuff", recvbuff, count);
  if (!st.ok()) return Fail(comm, st);
  return chorus::api::Submit(comm, CommOp{Collective::kSendRecv, nullptr, recvbuff, count,
                                          static_cast<DataType>(datatype), ReduceOp::kSum, peer, false});
}

chorusResult_t chorusBarrier(chorusComm_t comm, chorusStream_t stream) {
  Checked c = CheckCommon(comm, "chorusBarrier", chorusUint8, 0, false, stream);
  if (!c.status.ok()) return Fail(comm, c.status);
  return chorus::api::Submit(comm, CommOp{Collective::kBarrier, nullptr, nullptr, 1, DataType::kUint8,
                                          ReduceOp::kMax, 0, false});
}

}  // extern "C"
