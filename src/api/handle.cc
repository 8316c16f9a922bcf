#include "api/handle.h"

#include <atomic>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "core/log.h"

namespace chorus::api {

namespace {
std::mutex& RegistryMutex() {
  static std::mutex mu;
  return mu;
}
std::unordered_set<const chorusComm*>& Registry() {
  static auto* live = new std::unordered_set<const chorusComm*>();
  return *live;
}
thread_local std::string thread_last_error;

// Every destroy bumps the epoch; a thread remembers the last handle it found live and the epoch
// it saw then, so a loop of calls on one communicator checks liveness without the lock, and any
// destroy since sends the next check back to the registry.
std::atomic<uint64_t> registry_epoch{1};
// Threads between reading the epoch and counting their call: a destroy waits for them to leave
// (WaitForFastAcquires) before it frees anything they might still touch.
std::atomic<int> fast_acquires{0};
struct LiveCache {
  const chorusComm* comm = nullptr;
  uint64_t epoch = 0;
};
thread_local LiveCache live_cache;
}  // namespace

void RegisterHandle(chorusComm* c) {
  std::lock_guard<std::mutex> lock(RegistryMutex());
  Registry().insert(c);
}

bool UnregisterHandle(chorusComm* c) {
  std::lock_guard<std::mutex> lock(RegistryMutex());
  registry_epoch.fetch_add(1, std::memory_order_seq_cst);
  return Registry().erase(c) > 0;
}

bool IsLive(const chorusComm* c) {
  if (c != nullptr && live_cache.comm == c && live_cache.epoch == registry_epoch.load(std::memory_order_acquire)) {
    return true;
  }
  std::lock_guard<std::mutex> lock(RegistryMutex());
  if (Registry().count(c) == 0) return false;
  live_cache = LiveCache{c, registry_epoch.load(std::memory_order_relaxed)};
  return true;
}

chorusResult_t Report(chorusComm* comm, const Status& st) {
  if (st.ok()) return chorusSuccess;
  std::string text = std::string(chorusGetErrorString(st.code())) + ": " + st.message();
  CHORUS_INFO(kInit, "%s", text.c_str());
  if (comm != nullptr && IsLive(comm)) comm->last_error = text;
  thread_last_error = text;
  return st.code();
}

const char* ThreadLastError() { return thread_last_error.c_str(); }

Status Acquire(chorusComm* comm, const char* fn) {
  if (comm == nullptr) return InvalidArgument(std::string(fn) + ": comm is NULL");
  // Fast path: this thread's last handle, no destroy since. The call is counted before the epoch is
  // read again, so a destroy that bumps the epoch either is seen here or waits for this call
  // (Free waits for active_calls to drain). Only a call *starting* while another thread destroys
  // the handle can still race, which no API allows.
  if (live_cache.comm == comm) {
    fast_acquires.fetch_add(1, std::memory_order_seq_cst);
    bool counted = false;
    if (live_cache.epoch == registry_epoch.load(std::memory_order_seq_cst) &&
        comm->init_done.load(std::memory_order_acquire) && comm->init_status.ok()) {
      comm->impl->active_calls().fetch_add(1, std::memory_order_seq_cst);
      counted = live_cache.epoch == registry_epoch.load(std::memory_order_seq_cst);
      if (!counted) comm->impl->active_calls().fetch_sub(1);
    }
    fast_acquires.fetch_sub(1, std::memory_order_seq_cst);
    if (counted) return Status::Ok();
  }
  std::lock_guard<std::mutex> lock(RegistryMutex());
  if (Registry().count(comm) == 0) {
    return InvalidUsage(std::string(fn) + ": comm is not a live communicator (destroyed or never created)");
  }
  if (!comm->init_done.load(std::memory_order_acquire)) {
    return InvalidUsage(std::string(fn) + ": the communicator's non-blocking init is still in progress "
                        "(poll chorusCommGetAsyncError until it returns chorusSuccess)");
  }
  if (!comm->init_status.ok()) {
    return Status(comm->init_status.code(), std::string(fn) + ": the communicator's init failed: " +
                                                comm->init_status.message());
  }
  comm->impl->active_calls().fetch_add(1);
  return Status::Ok();
}

void WaitForFastAcquires() {
  while (fast_acquires.load(std::memory_order_seq_cst) > 0) std::this_thread::yield();
}

void Release(chorusComm* comm) { comm->impl->active_calls().fetch_sub(1); }

Status CheckComm(const chorusComm* comm, const char* fn) {
  if (comm == nullptr) return InvalidArgument(std::string(fn) + ": comm is NULL");
  if (!IsLive(comm)) {
    return InvalidUsage(std::string(fn) + ": comm is not a live communicator (destroyed or never created)");
  }
  return Status::Ok();
}

}  // namespace chorus::api
