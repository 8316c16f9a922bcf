#include "baselines/gloo_backend.h"

#include <gloo/allgather.h>
#include <gloo/allreduce_halving_doubling.h>
#include <gloo/allreduce_ring.h>
#include <gloo/alltoall.h>
#include <gloo/barrier.h>
#include <gloo/broadcast.h>
#include <gloo/math.h>
#include <gloo/reduce.h>
#include <gloo/reduce_scatter.h>
#include <gloo/rendezvous/context.h>
#include <gloo/rendezvous/file_store.h>
#include <gloo/transport/tcp/device.h>

#include <chrono>
#include <cstring>
#include <exception>

namespace chorus::bench {
namespace {

template <typename T>
const gloo::ReductionFunction<T>* Reduction(Op op) {
  switch (op) {
    case Op::kSum: return gloo::ReductionFunction<T>::sum;
    case Op::kProd: return gloo::ReductionFunction<T>::product;
    case Op::kMin: return gloo::ReductionFunction<T>::min;
    case Op::kMax: return gloo::ReductionFunction<T>::max;
    case Op::kAvg: return nullptr;
  }
  return nullptr;
}

// Calls fn.template operator()<T>() with Gloo's element type for t (nullptr_t when Gloo has none).
template <typename Fn>
CallStatus WithType(DType t, Fn&& fn) {
  switch (t) {
    case DType::kInt8: return fn.template operator()<int8_t>();
    case DType::kUint8: return fn.template operator()<uint8_t>();
    case DType::kInt32: return fn.template operator()<int32_t>();
    case DType::kUint32: return fn.template operator()<uint32_t>();
    case DType::kInt64: return fn.template operator()<int64_t>();
    case DType::kUint64: return fn.template operator()<uint64_t>();
    case DType::kFloat16: return fn.template operator()<gloo::float16>();
    case DType::kFloat32: return fn.template operator()<float>();
    case DType::kFloat64: return fn.template operator()<double>();
    default: return CallStatus::Unsupported(std::string("Gloo has no ") + Name(t) + " type");
  }
}

}  // namespace

GlooBackend::GlooBackend(int rank, int nranks, const std::string& store_dir, const std::string& algo, int timeout_s)
    : rank_(rank), nranks_(nranks), algo_(algo) {
  try {
    gloo::transport::tcp::attr attr;
    attr.hostname = "127.0.0.1";  // loopback only, like the MPI baseline
    auto device = gloo::transport::tcp::CreateDevice(attr);
    gloo::rendezvous::FileStore store(store_dir);
    auto ctx = std::make_shared<gloo::rendezvous::Context>(rank, nranks);
    ctx->setTimeout(std::chrono::seconds(timeout_s));
    ctx->connectFullMesh(store, device);
    context_ = ctx;
  } catch (const std::exception& e) {
    error_ = std::string("Gloo rendezvous in ") + store_dir + ": " + e.what();
  }
}

GlooBackend::~GlooBackend() = default;

std::string GlooBackend::version() const {
  // libgloo has no version call; the all-reduce class is what the variant selects.
  return std::string("Gloo (system libgloo); all-reduce class ") +
         (algo_ == "ring" ? "AllreduceRing" : "AllreduceHalvingDoubling");
}

CallStatus GlooBackend::Supports(const Case& c, bool in_place) const {
  if (c.dtype == DType::kBfloat16 || c.dtype == DType::kF8e4m3 || c.dtype == DType::kF8e5m2) {
    return CallStatus::Unsupported(std::string("Gloo has no ") + Name(c.dtype) + " type");
  }
  if (Reduces(c.coll) && c.op == Op::kAvg) return CallStatus::Unsupported("Gloo has no average op");
  if (in_place && c.coll == Coll::kReduceScatter) {
    return CallStatus::Unsupported("Gloo's reduce-scatter leaves the result at offset 0, not rank*count");
  }
  if (in_place && (c.coll == Coll::kAllToAll || c.coll == Coll::kSendRecv)) {
    return CallStatus::Unsupported("Gloo has no in-place form");
  }
  if (c.shape.send_elems > 0x7fffffffu || c.shape.recv_elems > 0x7fffffffu) {
    return CallStatus::Unsupported("count exceeds Gloo's int");
  }
  return CallStatus::Ok();
}

void GlooBackend::EndCase() { algorithms_.clear(); }

template <typename T>
gloo::Algorithm* GlooBackend::CachedAlgorithm(const Case& c, T* data, std::size_t count) {
  auto key = std::make_tuple(static_cast<void*>(data), count, static_cast<int>(c.coll));
  auto it = algorithms_.find(key);
  if (it != algorithms_.end()) return it->second.get();
  std::unique_ptr<gloo::Algorithm> a;
  const int n = static_cast<int>(count);
  if (c.coll == Coll::kReduceScatter) {
    a = std::make_unique<gloo::ReduceScatterHalvingDoubling<T>>(
        context_, std::vector<T*>{data}, n, std::vector<int>(static_cast<std::size_t>(nranks_), n / nranks_),
        Reduction<T>(c.op));
  } else if (algo_ == "halving_doubling") {
    a = std::make_unique<gloo::AllreduceHalvingDoubling<T>>(context_, std::vector<T*>{data}, n, Reduction<T>(c.op));
  } else {
    a = std::make_unique<gloo::AllreduceRing<T>>(context_, std::vector<T*>{data}, n, Reduction<T>(c.op));
  }
  gloo::Algorithm* raw = a.get();
  algorithms_.emplace(key, std::move(a));
  return raw;
}

template <typename T>
CallStatus GlooBackend::RunTyped(const Case& c, const CallBuffers& b) {
  const std::size_t count = c.shape.count;
  const std::size_t bytes = count * sizeof(T);
  T* send = static_cast<T*>(b.send);
  T* recv = static_cast<T*>(b.recv);
  const bool same = b.send == b.recv;
  if (count == 0) return CallStatus::Ok();  // every rank skips alike
  switch (c.coll) {
    case Coll::kAllReduce:
      // Gloo's algorithms reduce in place: out of place is a copy first, as a user would do.
      if (!same) std::memcpy(static_cast<void*>(recv), send, bytes);
      CachedAlgorithm<T>(c, recv, count)->run();
      return CallStatus::Ok();
    case Coll::kReduceScatter:
      // In place on the whole input; this rank's block ends up at the front.
      CachedAlgorithm<T>(c, send, count * static_cast<std::size_t>(nranks_))->run();
      std::memcpy(static_cast<void*>(recv), send, bytes);
      return CallStatus::Ok();
    case Coll::kAllGather: {
      gloo::AllgatherOptions opts(context_);
      if (send != recv + static_cast<std::size_t>(rank_) * count) opts.setInput(send, count);
      opts.setOutput(recv, count * static_cast<std::size_t>(nranks_));
      opts.setTag(tag_++);
      gloo::allgather(opts);
      return CallStatus::Ok();
    }
    case Coll::kAllToAll: {
      gloo::AlltoallOptions opts(context_);
      opts.setInput(send, count * static_cast<std::size_t>(nranks_));
      opts.setOutput(recv, count * static_cast<std::size_t>(nranks_));
      opts.setTag(tag_++);
      gloo::alltoall(opts);
      return CallStatus::Ok();
    }
    case Coll::kBroadcast: {
      gloo::BroadcastOptions opts(context_);
      if (!same && rank_ == c.root) opts.setInput(send, count);
      opts.setOutput(recv, count);
      opts.setRoot(c.root);
      opts.setTag(tag_++);
      gloo::broadcast(opts);
      return CallStatus::Ok();
    }
    case Coll::kReduce: {
      gloo::ReduceOptions opts(context_);
      if (!same) opts.setInput(send, count);
      opts.setOutput(recv, count);
      opts.setRoot(c.root);
      opts.setReduceFunction([fn = Reduction<T>(c.op)](void* out, const void* a, const void* bb, std::size_t n) {
        if (out != a) std::memcpy(out, a, n * sizeof(T));
        fn->call(static_cast<T*>(out), static_cast<const T*>(bb), n);
      });
      opts.setTag(tag_++);
      gloo::reduce(opts);
      return CallStatus::Ok();
    }
    case Coll::kSendRecv: {
      const int next = (rank_ + 1) % nranks_;
      const int prev = (rank_ - 1 + nranks_) % nranks_;
      auto out = context_->createUnboundBuffer(send, bytes);
      auto in = context_->createUnboundBuffer(recv, bytes);
      const uint64_t slot = gloo::Slot::build(0x42, tag_++);
      in->recv(prev, slot);
      out->send(next, slot);
      in->waitRecv();
      out->waitSend();
      return CallStatus::Ok();
    }
  }
  return CallStatus::Error("unknown collective");
}

CallStatus GlooBackend::Run(const Case& c, const CallBuffers& b) {
  try {
    return WithType(c.dtype, [&]<typename T>() { return RunTyped<T>(c, b); });
  } catch (const std::exception& e) {
    return CallStatus::Error(std::string("gloo: ") + e.what());
  }
}

CallStatus GlooBackend::Barrier() {
  try {
    gloo::BarrierOptions opts(context_);
    opts.setTag(tag_++);
    gloo::barrier(opts);
    return CallStatus::Ok();
  } catch (const std::exception& e) {
    return CallStatus::Error(std::string("gloo barrier: ") + e.what());
  }
}

CallStatus GlooBackend::AllGather(const double* mine, int n, double* all) {
  try {
    gloo::AllgatherOptions opts(context_);
    opts.setInput(const_cast<double*>(mine), static_cast<std::size_t>(n));
    opts.setOutput(all, static_cast<std::size_t>(n) * static_cast<std::size_t>(nranks_));
    opts.setTag(tag_++);
    gloo::allgather(opts);
    return CallStatus::Ok();
  } catch (const std::exception& e) {
    return CallStatus::Error(std::string("gloo allgather: ") + e.what());
  }
}

}  // namespace chorus::bench
