// Shared windows: host memory other processes of this host can map (chorusMemAlloc), so that a
// message from such a buffer is copied once, by the receiver, straight out of the sender's memory
// at memcpy speed (process_vm_readv, the fallback, is several times slower on the VMs measured).
//
// A window is a memfd mapped shared. The sender of a reference names the window by the memfd's
// descriptor number in its process and its inode; the receiver opens /proc/<pid>/fd/<fd> (the
// same ptrace permission process_vm_readv needs), checks the inode, and maps it read-only, once:
// mappings are cached per communicator.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <list>
#include <string>
#include <utility>

#include "core/status.h"
#include "core/types.h"

namespace chorus::shm {

// Where a range of a window lies, as a receiver needs it.
struct WindowRef {
  uint64_t inode = 0;
  uint64_t offset = 0;  // of the range from the window's start
  int32_t fd = -1;      // the memfd in the owning process
};

// Allocates `bytes` (> 0) of zeroed memory in a new window of this process.
Status AllocWindow(Bytes bytes, void** out);
// Frees a window AllocWindow returned (its start address only). Peers' mappings keep the pages
// alive until they drop them.
Status FreeWindow(void* base);
// True when [p, p + n) lies inside one window of this process; fills `ref`. Cheap when no window
// exists.
bool FindWindow(const void* p, Bytes n, WindowRef* ref);

// A receiver's mappings of its peers' windows. Not thread-safe: one per connection set, used by
// one call at a time.
class PeerWindows {
 public:
  PeerWindows() = default;
  PeerWindows(const PeerWindows&) = delete;
  PeerWindows& operator=(const PeerWindows&) = delete;
  ~PeerWindows();
  // The address of `n` bytes at `ref` in process `pid`'s window, mapped here (kept mapped). Fails
  // when the window cannot be opened or is not the one named (the descriptor was reused), or when
  // the range lies outside it.
  Status Map(int pid, const WindowRef& ref, Bytes n, const char** out);
  size_t mapped() const { return maps_.size(); }
  // Unmaps the windows the peers have freed (their descriptor no longer names the inode), so a
  // program that allocates and frees buffers does not keep their pages alive through us.
  void DropFreed();

 private:
  struct Mapping {
    int pid;
    int fd;
    uint64_t inode;
    const char* base;
    Bytes bytes;
  };
  static constexpr size_t kMaxMappings = 64;  // the oldest are unmapped beyond this
  std::list<Mapping> maps_;                   // most recently used first
  // Windows that could not be mapped (pid, inode), the newest last: their references are read the
  // slow way without trying again at every grain.
  std::list<std::pair<int, uint64_t>> failed_;
  Status Fail(int pid, uint64_t inode, Status why);
};

}  // namespace chorus::shm
