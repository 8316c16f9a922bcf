#include "baselines/mpi_backend.h"

#include <climits>
#include <cstring>

namespace chorus::bench {
namespace {

// MPI has no standard half, bfloat16 or fp8 type: those are reported unsupported rather than
// emulated with user-defined ops, which would measure our reduction code instead of MPI's.
MPI_Datatype ToMpi(DType t) {
  switch (t) {
    case DType::kInt8: return MPI_INT8_T;
    case DType::kUint8: return MPI_UINT8_T;
    case DType::kInt32: return MPI_INT32_T;
    case DType::kUint32: return MPI_UINT32_T;
    case DType::kInt64: return MPI_INT64_T;
    case DType::kUint64: return MPI_UINT64_T;
    case DType::kFloat32: return MPI_FLOAT;
    case DType::kFloat64: return MPI_DOUBLE;
    default: return MPI_DATATYPE_NULL;
  }
}

MPI_Op ToMpi(Op o) {
  switch (o) {
    case Op::kSum: return MPI_SUM;
    case Op::kProd: return MPI_PROD;
    case Op::kMin: return MPI_MIN;
    case Op::kMax: return MPI_MAX;
    case Op::kAvg: return MPI_OP_NULL;
  }
  return MPI_OP_NULL;
}

}  // namespace

MpiBackend::MpiBackend() {
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &nranks_);
  // Errors come back as codes (reported in the table) instead of aborting the job.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}

std::string MpiBackend::version() const {
  char buf[MPI_MAX_LIBRARY_VERSION_STRING];
  int len = 0;
  MPI_Get_library_version(buf, &len);
  std::string v(buf, static_cast<std::size_t>(len));
  const auto cut = v.find_first_of(",\n");  // "Open MPI v4.1.4, package: ..." -> "Open MPI v4.1.4"
  return cut == std::string::npos ? v : v.substr(0, cut);
}

CallStatus MpiBackend::Supports(const Case& c, bool in_place) const {
  if (ToMpi(c.dtype) == MPI_DATATYPE_NULL) {
    return CallStatus::Unsupported(std::string("MPI has no ") + Name(c.dtype) + " datatype");
  }
  if (Reduces(c.coll) && ToMpi(c.op) == MPI_OP_NULL) return CallStatus::Unsupported("MPI has no average op");
  if (c.shape.send_elems > static_cast<std::size_t>(INT_MAX) || c.shape.recv_elems > static_cast<std::size_t>(INT_MAX)) {
    return CallStatus::Unsupported("count exceeds MPI's int");
  }
  if (in_place && c.coll == Coll::kReduceScatter) {
    // MPI_IN_PLACE puts the result at the start of the buffer, not at rank * count.
    return CallStatus::Unsupported("MPI_Reduce_scatter_block in place writes offset 0, not rank*count");
  }
  return CallStatus::Ok();
}

CallStatus MpiBackend::Check(int rc, const char* what) const {
  if (rc == MPI_SUCCESS) return CallStatus::Ok();
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, msg, &len);
  return CallStatus::Error(std::string(what) + ": " + std::string(msg, static_cast<std::size_t>(len)));
}

CallStatus MpiBackend::Run(const Case& c, const CallBuffers& b) {
  const MPI_Datatype t = ToMpi(c.dtype);
  const int count = static_cast<int>(c.shape.count);
  const MPI_Comm w = MPI_COMM_WORLD;
  const bool same = b.send == b.recv;
  switch (c.coll) {
    case Coll::kAllReduce:
      return Check(MPI_Allreduce(same ? MPI_IN_PLACE : b.send, b.recv, count, t, ToMpi(c.op), w), "MPI_Allreduce");
    case Coll::kAllGather: {
      const std::size_t slot = static_cast<std::size_t>(rank_) * c.shape.count * SizeOf(c.dtype);
      if (b.send == static_cast<char*>(b.recv) + slot) {
        return Check(MPI_Allgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, b.recv, count, t, w), "MPI_Allgather");
      }
      return Check(MPI_Allgather(b.send, count, t, b.recv, count, t, w), "MPI_Allgather");
    }
    case Coll::kReduceScatter:
      return Check(MPI_Reduce_scatter_block(b.send, b.recv, count, t, ToMpi(c.op), w), "MPI_Reduce_scatter_block");
    case Coll::kAllToAll:
      if (same) return Check(MPI_Alltoall(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, b.recv, count, t, w), "MPI_Alltoall");
      return Check(MPI_Alltoall(b.send, count, t, b.recv, count, t, w), "MPI_Alltoall");
    case Coll::kBroadcast:
      // MPI_Bcast works in place: out of place, the root first copies its input (as a user would).
      if (!same && rank_ == c.root) std::memcpy(b.recv, b.send, c.shape.count * SizeOf(c.dtype));
      return Check(MPI_Bcast(b.recv, count, t, c.root, w), "MPI_Bcast");
    case Coll::kReduce:
      if (same && rank_ == c.root) {
        return Check(MPI_Reduce(MPI_IN_PLACE, b.recv, count, t, ToMpi(c.op), c.root, w), "MPI_Reduce");
      }
      return Check(MPI_Reduce(b.send, b.recv, count, t, ToMpi(c.op), c.root, w), "MPI_Reduce");
    case Coll::kSendRecv: {
      const int next = (rank_ + 1) % nranks_;
      const int prev = (rank_ - 1 + nranks_) % nranks_;
      if (same) {
        return Check(MPI_Sendrecv_replace(b.recv, count, t, next, 0, prev, 0, w, MPI_STATUS_IGNORE),
                     "MPI_Sendrecv_replace");
      }
      return Check(MPI_Sendrecv(b.send, count, t, next, 0, b.recv, count, t, prev, 0, w, MPI_STATUS_IGNORE),
                   "MPI_Sendrecv");
    }
  }
  return CallStatus::Error("unknown collective");
}

CallStatus MpiBackend::Barrier() { return Check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }

CallStatus MpiBackend::AllGather(const double* mine, int n, double* all) {
  return Check(MPI_Allgather(mine, n, MPI_DOUBLE, all, n, MPI_DOUBLE, MPI_COMM_WORLD), "MPI_Allgather (results)");
}

}  // namespace chorus::bench
