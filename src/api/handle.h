// The C handle behind chorusComm_t, the registry of live handles, and error reporting.
#pragma once

#include <atomic>
#include <memory>
#include <thread>
#include <string>

#include "chorus/chorus.h"
#include "core/comm.h"
#include "core/status.h"

struct chorusComm {
  std::unique_ptr<chorus::Communicator> impl;
  std::string last_error;
  // Non-blocking init: Init runs on init_thread; init_done turns true when it has finished, with
  // its result in init_status.
  std::thread init_thread;
  std::atomic<bool> init_done{true};
  chorus::Status init_status;
};

namespace chorus::api {

void RegisterHandle(chorusComm* c);
// Removes it; false if it was not registered.
bool UnregisterHandle(chorusComm* c);
bool IsLive(const chorusComm* c);

// Records `st` as the last error of `comm` (or of this thread when comm is null or dead) and
// logs it; returns its code.
chorusResult_t Report(chorusComm* comm, const Status& st);
const char* ThreadLastError();

// Validates a handle and, when live, counts the caller in (under the registry lock, so an abort
// that unregisters the handle either sees this call or refuses it). Pair with Release.
Status Acquire(chorusComm* comm, const char* fn);
void Release(chorusComm* comm);
// Acquire for one call on this thread (a collective, send or receive outside a group): a loop of
// calls on the thread's last communicator marks itself on a per-thread line instead of taking the
// lock and counting on the communicator. *marked says which; pass it to ReleaseCall.
Status AcquireCall(chorusComm* comm, const char* fn, bool* marked);
void ReleaseCall(chorusComm* comm, bool marked);
// After UnregisterHandle, before freeing: waits until no thread is inside a marked call on `comm`.
void WaitForCalls(const chorusComm* comm);

// Why `comm` cannot be used (null, or not live): the cold half of CheckComm.
[[gnu::cold]] Status CommNotLive(const chorusComm* comm, const char* fn);
// Validates a handle: null -> InvalidArgument; destroyed -> InvalidUsage.
inline Status CheckComm(const chorusComm* comm, const char* fn) {
  if (comm == nullptr || !IsLive(comm)) return CommNotLive(comm, fn);
  return Status::Ok();
}

}  // namespace chorus::api
