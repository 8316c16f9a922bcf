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
  CHORUS_RETURN_IF_ERROR(chorus::Communicator::Create(id, nranks, rank, cfg, &handle->impl));
  chorus::api::RegisterHandle(handle.get());
  *comm = handle.release();
  return chorus::Status::Ok();
}

// Waits until no call is inside the communicator (another thread may be blocked in one that an
// abort is unblocking), then frees it.
void Free(chorusComm* c) {
  while (c->impl->active_calls().load() > 0) std::this_thread::yield();
  delete c;
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
  return Report(nullptr, InitRank(comm, nranks, commId, rank, config));
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
        if (comms[k] != nullptr) {
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
  *asyncError = comm->impl->broken().code();
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
