#include "api/handle.h"

#include <linux/membarrier.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <vector>

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
struct LiveCache {
  const chorusComm* comm = nullptr;
  uint64_t epoch = 0;
};
__attribute__((tls_model("initial-exec"))) thread_local LiveCache live_cache;

// A call marks itself (its marker) and then reads the epoch; a destroy bumps the epoch and then
// reads the markers. Each side needs a full fence between its store and its load, and on the call
// side that fence drains the store buffer: tens of nanoseconds of a small call whenever a store to
// a line another core holds is still pending (the FIFO's tail). membarrier(PRIVATE_EXPEDITED) lets
// the rare side impose the fence on every running thread of the process instead, so the call needs
// only a compiler barrier. Registered with the first handle, before any handle exists to be called
// or destroyed (registration survives fork); without the system call both sides fence. TSan
// models neither membarrier nor fences: there the store and the load are seq_cst themselves.
#if defined(__SANITIZE_THREAD__)
constexpr std::memory_order kMarkOrder = std::memory_order_seq_cst;
#else
constexpr std::memory_order kMarkOrder = std::memory_order_relaxed;
#endif
std::atomic<bool> asymmetric_fences{false};

void EnableAsymmetricFences() {
#if !defined(__SANITIZE_THREAD__) && defined(MEMBARRIER_CMD_PRIVATE_EXPEDITED)
  static const bool enabled = [] {
    const long cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    if (cmds < 0 || (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0) return false;
    return syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
  }();
  if (enabled) asymmetric_fences.store(true, std::memory_order_release);
#endif
}

inline void CallSideFence() {
#if !defined(__SANITIZE_THREAD__)
  if (asymmetric_fences.load(std::memory_order_relaxed)) {
    std::atomic_signal_fence(std::memory_order_seq_cst);
  } else {
    std::atomic_thread_fence(std::memory_order_seq_cst);
  }
#endif
}

#if !defined(__SANITIZE_THREAD__) && defined(MEMBARRIER_CMD_PRIVATE_EXPEDITED)
// A full barrier on every CPU that runs a thread of this process, without membarrier: taking
// write permission away from a page those threads have mapped makes the kernel shoot down their
// TLB entries, an interrupt that serialises each of those CPUs.
void ProtectionChangeBarrier() {
  static std::mutex mu;
  static char* page = [] {
    void* p = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? nullptr : static_cast<char*>(p);
  }();
  std::lock_guard<std::mutex> lock(mu);
  if (page == nullptr || mprotect(page, 4096, PROT_READ | PROT_WRITE) != 0) return;
  *static_cast<volatile char*>(page) = 0;  // present and writable in this CPU's TLB
  (void)mprotect(page, 4096, PROT_READ);
}
#endif

void DestroySideFence() {
#if !defined(__SANITIZE_THREAD__)
  std::atomic_thread_fence(std::memory_order_seq_cst);
#if defined(MEMBARRIER_CMD_PRIVATE_EXPEDITED)
  if (!asymmetric_fences.load(std::memory_order_acquire)) return;
  // Calls fence with a compiler barrier only: this side must reach every running thread. The
  // system call can fail for want of memory; try again, then fall back to a page-protection change.
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0) return;
  }
  ProtectionChangeBarrier();
#endif
#endif
}

// The communicator this thread is inside a call of, through the fast path (AcquireCall), on a
// line of its own: marking a call costs one store here instead of atomics on a line every thread
// shares. A destroy waits until no thread's marker names its handle (WaitForCalls).
struct alignas(64) CallMarker {
  std::atomic<const chorusComm*> comm{nullptr};
};
std::mutex& MarkersMutex() {
  static std::mutex mu;
  return mu;
}
std::vector<CallMarker*>& Markers() {
  static auto* all = new std::vector<CallMarker*>();
  return *all;
}
// Unregisters this thread's marker when the thread ends.
struct MarkerOwner {
  CallMarker* marker = new CallMarker();
  MarkerOwner() {
    std::lock_guard<std::mutex> lock(MarkersMutex());
    Markers().push_back(marker);
  }
  ~MarkerOwner();
};
__attribute__((tls_model("initial-exec"))) thread_local CallMarker* my_marker = nullptr;

MarkerOwner::~MarkerOwner() {
  {
    my_marker = nullptr;  // calls from later thread-exit destructors take the locked path
    std::lock_guard<std::mutex> lock(MarkersMutex());
    auto& all = Markers();
    all.erase(std::remove(all.begin(), all.end(), marker), all.end());
    delete marker;
    marker = nullptr;
  }
}

CallMarker* ThisThreadsMarker() {
  if (my_marker == nullptr) {
    thread_local MarkerOwner owner;  // constructed once per thread, destroyed at its exit
    my_marker = owner.marker;
  }
  return my_marker;
}
}  // namespace

void RegisterHandle(chorusComm* c) {
  EnableAsymmetricFences();
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

Status AcquireCall(chorusComm* comm, const char* fn, bool* marked) {
  *marked = false;
  if (comm != nullptr && live_cache.comm == comm) {
    // This thread's last handle: mark the call, then check that no destroy came since. A destroy
    // bumps the epoch before it scans the markers, so it either is seen here or sees the mark.
    CallMarker* m = ThisThreadsMarker();
    if (m == nullptr) return Acquire(comm, fn);
    m->comm.store(comm, kMarkOrder);
    CallSideFence();
    if (live_cache.epoch == registry_epoch.load(kMarkOrder) &&
        comm->init_done.load(std::memory_order_acquire) && comm->init_status.ok()) {
      *marked = true;
      return Status::Ok();
    }
    m->comm.store(nullptr, std::memory_order_release);
  }
  return Acquire(comm, fn);
}

void ReleaseCall(chorusComm* comm, bool marked) {
  if (marked) {
    my_marker->comm.store(nullptr, std::memory_order_release);
  } else {
    Release(comm);
  }
}

void WaitForCalls(const chorusComm* comm) {
  // The epoch was bumped (UnregisterHandle): a call that marked itself before every thread's fence
  // here is seen below; one that marks itself after it sees the new epoch and takes the locked path.
  DestroySideFence();
  for (;;) {
    bool busy = false;
    {
      std::lock_guard<std::mutex> lock(MarkersMutex());
      for (const CallMarker* m : Markers()) busy = busy || m->comm.load(std::memory_order_seq_cst) == comm;
    }
    if (!busy) return;
    std::this_thread::yield();
  }
}

Status Acquire(chorusComm* comm, const char* fn) {
  if (comm == nullptr) return InvalidArgument(std::string(fn) + ": comm is NULL");
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

void Release(chorusComm* comm) { comm->impl->active_calls().fetch_sub(1); }

Status CommNotLive(const chorusComm* comm, const char* fn) {
  if (comm == nullptr) return InvalidArgument(std::string(fn) + ": comm is NULL");
  return InvalidUsage(std::string(fn) + ": comm is not a live communicator (destroyed or never created)");
}

}  // namespace chorus::api
