// Communicator life cycle, version and errors.
#include <thread>
#include <vector>

#include "api/handle.h"
#include "bootstrap/bootstrap.h"
#include "core/comm.h"
#include "core/log.h"

using chorus::api::CheckComm;
using chorus::api::Report;

namespace {

// Creates the handle and runs the communicator's init: inline, or on a thread for a non-blocking
// init (config.blocking == 0), in which case *comm is usable for polling at once.
chorus::Status InitRank(chorusComm_t* comm, int nranks, const chorusUniqueId& id, int rank,
                        const chorusConfig_t* config) {
  if (comm == nullptr) return chorus::InvalidArgument("chorusCommInitRank: comm is NULL");
  *comm = nullptr;
  if (nranks < 1) {
    return chorus::InvalidArgument("chorusCommInitRank: nranks " + std::to_string(nranks) + " < 1");
  }
  if (rank < 0 || rank >= nranks) {
    return chorus::InvalidArgument("chorusCommInitRank: rank " + std::to_string(rank) +
                                   " is outside [0, " + std::to_string(nranks) + ")");
  }
  chorus::CommConfig cfg;
  CHORUS_RETURN_IF_ERROR(chorus::ResolveConfig(config, &cfg));
  auto handle = std::make_unique<chorusComm>();
  handle->impl = std::make_unique<chorus::Communicator>(rank, nranks, cfg);
  const bool blocking = config == nullptr || config->blocking != 0;
  if (blocking) {
    CHORUS_RETURN_IF_ERROR(handle->impl->Init(id));
    chorus::api::RegisterHandle(handle.get());
    *comm = handle.release();
    return chorus::Status::Ok();
  }
  chorusComm* h = handle.release();
  h->init_done.store(false);
  h->init_thread = std::thread([h, id] {
    h->init_status = h->impl->Init(id);
    h->init_done.store(true, std::memory_order_release);
  });
  chorus::api::RegisterHandle(h);
  *comm = h;
  return chorus::Status(chorusInProgress, "chorusCommInitRank: non-blocking init started");
}

// Waits for a non-blocking init and for calls still inside the communicator (another thread may be
// blocked in one that an abort is unblocking), then frees it.
void Free(chorusComm* c) {
  if (c->init_thread.joinable()) c->init_thread.join();
  chorus::api::WaitForCalls(c);
  while (c->impl->active_calls().load() > 0) std::this_thread::yield();
  delete c;
}

// Adopts a communicator built by split/shrink into a new handle.
chorusResult_t Adopt(chorusComm_t parent, std::unique_ptr<chorus::Communicator> impl, chorusComm_t* out) {
  if (!impl) {
    *out = nullptr;
    return chorusSuccess;
  }
  auto handle = std::make_unique<chorusComm>();
  handle->impl = std::move(impl);
  chorus::api::RegisterHandle(handle.get());
  *out = handle.release();
  (void)parent;
  return chorusSuccess;
}

}  // namespace

extern "C" {

chorusResult_t chorusGetVersion(int* version) {
  if (version == nullptr) return Report(nullptr, chorus::InvalidArgument("chorusGetVersion: version is NULL"));
  *version = CHORUS_VERSION_CODE;
  return chorusSuccess;
}

const char* chorusGetErrorString(chorusResult_t result) {
  switch (result) {
    case chorusSuccess: return "success";
    case chorusInvalidArgument: return "invalid argument";
    case chorusInvalidUsage: return "invalid usage";
    case chorusSystemError: return "system error";
    case chorusInternalError: return "internal error";
    case chorusRemoteError: return "remote error";
    case chorusTimeout: return "timeout";
    case chorusInProgress: return "in progress";
    default: return "unknown result code";
  }
}

const char* chorusGetLastError(chorusComm_t comm) {
  if (comm != nullptr && chorus::api::IsLive(comm)) return comm->last_error.c_str();
  return chorus::api::ThreadLastError();
}

chorusResult_t chorusGetUniqueId(chorusUniqueId* uniqueId) {
  if (uniqueId == nullptr) return Report(nullptr, chorus::InvalidArgument("chorusGetUniqueId: uniqueId is NULL"));
  return Report(nullptr, chorus::NewUniqueId(uniqueId));
}

chorusResult_t chorusCommInitRank(chorusComm_t* comm, int nranks, chorusUniqueId commId, int rank,
                                  const chorusConfig_t* config) {
  chorus::Status st = InitRank(comm, nranks, commId, rank, config);
  if (st.code() == chorusInProgress) return chorusInProgress;
  return Report(nullptr, st);
}

chorusResult_t chorusCommSplit(chorusComm_t comm, int color, int key, chorusComm_t* newcomm,
                               const chorusConfig_t* config) {
  if (newcomm == nullptr) return Report(nullptr, chorus::InvalidArgument("chorusCommSplit: newcomm is NULL"));
  *newcomm = nullptr;
  if (color < CHORUS_SPLIT_NOCOLOR) {
    return Report(nullptr, chorus::InvalidArgument("chorusCommSplit: color " + std::to_string(color) +
                                                   " is negative (use CHORUS_SPLIT_NOCOLOR to join none)"));
  }
  chorus::Status st = chorus::api::Acquire(comm, "chorusCommSplit");
  if (!st.ok()) return Report(nullptr, st);
  chorus::CommConfig cfg;
  st = chorus::ResolveConfig(config, &cfg);
  std::unique_ptr<chorus::Communicator> impl;
  if (st.ok()) st = comm->impl->Split(color, key, cfg, &impl);
  chorusResult_t r = st.ok() ? Adopt(comm, std::move(impl), newcomm) : Report(comm, st);
  chorus::api::Release(comm);
  return r;
}

chorusResult_t chorusCommShrink(chorusComm_t comm, const int* excludeRanks, int excludeCount,
                                chorusComm_t* newcomm, const chorusConfig_t* config) {
  if (newcomm == nullptr) return Report(nullptr, chorus::InvalidArgument("chorusCommShrink: newcomm is NULL"));
  *newcomm = nullptr;
  if (excludeCount < 0 || (excludeCount > 0 && excludeRanks == nullptr)) {
    return Report(nullptr, chorus::InvalidArgument("chorusCommShrink: excludeRanks is NULL or excludeCount negative"));
  }
  chorus::Status st = chorus::api::Acquire(comm, "chorusCommShrink");
  if (!st.ok()) return Report(nullptr, st);
  std::vector<chorus::Rank> excluded(excludeRanks, excludeRanks + excludeCount);
  for (int r : excluded) {
    if (r < 0 || r >= comm->impl->size()) {
      st = chorus::InvalidArgument("chorusCommShrink: excluded rank " + std::to_string(r) + " is outside [0, " +
                                   std::to_string(comm->impl->size()) + ")");
    }
  }
  chorus::CommConfig cfg;
  if (st.ok()) st = chorus::ResolveConfig(config, &cfg);
  std::unique_ptr<chorus::Communicator> impl;
  if (st.ok()) st = comm->impl->Shrink(excluded, cfg, &impl);
  chorusResult_t r = st.ok() ? Adopt(comm, std::move(impl), newcomm) : Report(comm, st);
  chorus::api::Release(comm);
  return r;
}

chorusResult_t chorusCommInitAll(chorusComm_t* comms, int ndev, const int* devlist) {
  if (comms == nullptr) return Report(nullptr, chorus::InvalidArgument("chorusCommInitAll: comms is NULL"));
  if (ndev < 1) {
    return Report(nullptr, chorus::InvalidArgument("chorusCommInitAll: ndev " + std::to_string(ndev) + " < 1"));
  }
  if (devlist != nullptr) {
    for (int i = 0; i < ndev; ++i) {
      if (devlist[i] < 0) {
        return Report(nullptr, chorus::InvalidArgument("chorusCommInitAll: devlist[" + std::to_string(i) +
                                                       "] = " + std::to_string(devlist[i]) + " is negative"));
      }
    }
  }
  chorusUniqueId id;
  chorus::Status st = chorus::NewUniqueId(&id);
  if (!st.ok()) return Report(nullptr, st);
  std::vector<chorus::Status> results(ndev);
  std::vector<std::thread> threads;
  for (int r = 0; r < ndev; ++r) {
    threads.emplace_back([&, r] { results[r] = InitRank(&comms[r], ndev, id, r, nullptr); });
  }
  for (auto& t : threads) t.join();
  for (int r = 0; r < ndev; ++r) {
    if (!results[r].ok()) {
      for (int k = 0; k < ndev; ++k) {
        if (results[k].ok() && comms[k] != nullptr) {
          chorus::api::UnregisterHandle(comms[k]);
          Free(comms[k]);
          comms[k] = nullptr;
        }
      }
      return Report(nullptr, results[r]);
    }
  }
  return chorusSuccess;
}

chorusResult_t chorusCommGetAsyncError(chorusComm_t comm, chorusResult_t* asyncError) {
  chorus::Status st = CheckComm(comm, "chorusCommGetAsyncError");
  if (!st.ok()) return Report(comm, st);
  if (asyncError == nullptr) {
    return Report(comm, chorus::InvalidArgument("chorusCommGetAsyncError: asyncError is NULL"));
  }
  if (!comm->init_done.load(std::memory_order_acquire)) {
    *asyncError = chorusInProgress;
  } else if (!comm->init_status.ok()) {
    *asyncError = comm->init_status.code();
    comm->last_error = std::string(chorusGetErrorString(comm->init_status.code())) + ": " + comm->init_status.message();
  } else {
    *asyncError = comm->impl->broken().code();
    if (!comm->impl->broken().ok()) comm->last_error = comm->impl->broken().message();
  }
  return chorusSuccess;
}

chorusResult_t chorusCommDestroy(chorusComm_t comm) {
  chorus::Status st = CheckComm(comm, "chorusCommDestroy");
  if (!st.ok()) return Report(nullptr, st);
  if (!chorus::api::UnregisterHandle(comm)) {
    return Report(nullptr, chorus::InvalidUsage("chorusCommDestroy: communicator destroyed twice"));
  }
  Free(comm);
  return chorusSuccess;
}

chorusResult_t chorusCommAbort(chorusComm_t comm) {
  chorus::Status st = CheckComm(comm, "chorusCommAbort");
  if (!st.ok()) return Report(nullptr, st);
  comm->impl->RequestAbort();
  if (!chorus::api::UnregisterHandle(comm)) {
    return Report(nullptr, chorus::InvalidUsage("chorusCommAbort: communicator already destroyed"));
  }
  Free(comm);
  return chorusSuccess;
}

chorusResult_t chorusCommCount(const chorusComm_t comm, int* count) {
  chorus::Status st = CheckComm(comm, "chorusCommCount");
  if (st.ok() && count == nullptr) st = chorus::InvalidArgument("chorusCommCount: count is NULL");
  if (!st.ok()) return Report(comm, st);
  *count = comm->impl->size();
  return chorusSuccess;
}

chorusResult_t chorusCommUserRank(const chorusComm_t comm, int* rank) {
  chorus::Status st = CheckComm(comm, "chorusCommUserRank");
  if (st.ok() && rank == nullptr) st = chorus::InvalidArgument("chorusCommUserRank: rank is NULL");
  if (!st.ok()) return Report(comm, st);
  *rank = comm->impl->rank();
  return chorusSuccess;
}

}  // extern "C"
