// Unique ids as text and from addresses, and init from a launcher's environment.
#include <cstring>

#include "api/handle.h"
#include "bootstrap/bootstrap.h"
#include "bootstrap/launch_env.h"

using chorus::api::Report;

extern "C" {

chorusResult_t chorusUniqueIdFromAddress(chorusUniqueId* uniqueId, const char* rootAddr, const char* secret) {
  if (uniqueId == nullptr || rootAddr == nullptr) {
    return Report(nullptr, chorus::InvalidArgument("chorusUniqueIdFromAddress: uniqueId and rootAddr must not be NULL"));
  }
  return Report(nullptr, chorus::UniqueIdFromAddress(rootAddr, secret, uniqueId));
}

chorusResult_t chorusUniqueIdToString(const chorusUniqueId* uniqueId, char* out, size_t outSize) {
  if (uniqueId == nullptr || out == nullptr) {
    return Report(nullptr, chorus::InvalidArgument("chorusUniqueIdToString: uniqueId and out must not be NULL"));
  }
  std::string text = chorus::UniqueIdToString(*uniqueId);
  if (outSize < text.size() + 1) {
    return Report(nullptr, chorus::InvalidArgument("chorusUniqueIdToString: outSize " + std::to_string(outSize) +
                                                   " < " + std::to_string(text.size() + 1)));
  }
  memcpy(out, text.c_str(), text.size() + 1);
  return chorusSuccess;
}

chorusResult_t chorusUniqueIdFromString(chorusUniqueId* uniqueId, const char* text) {
  if (uniqueId == nullptr || text == nullptr) {
    return Report(nullptr, chorus::InvalidArgument("chorusUniqueIdFromString: uniqueId and text must not be NULL"));
  }
  return Report(nullptr, chorus::UniqueIdFromString(text, uniqueId));
}

chorusResult_t chorusCommInitFromEnv(chorusComm_t* comm, const chorusConfig_t* config) {
  if (comm == nullptr) return Report(nullptr, chorus::InvalidArgument("chorusCommInitFromEnv: comm is NULL"));
  chorus::LaunchInfo info;
  chorus::Status st = chorus::ReadLaunchInfo(&info);
  if (!st.ok()) return Report(nullptr, st);
  chorusUniqueId id;
  st = chorus::ReadLaunchUniqueId(&id);
  if (!st.ok()) return Report(nullptr, st);
  return chorusCommInitRank(comm, info.world_size, id, info.rank, config);
}

}  // extern "C"
