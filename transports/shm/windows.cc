#include "transports/shm/windows.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <map>
#include <mutex>

namespace chorus::shm {

namespace {

struct Window {
  Bytes bytes;
  int fd;
  uint64_t inode;
};

std::mutex& RegistryMutex() {
  static std::mutex m;
  return m;
}
// Start address -> window. Lives for the whole process (windows may be freed after main returns).
std::map<uintptr_t, Window>& Registry() {
  static auto* r = new std::map<uintptr_t, Window>();
  return *r;
}
std::atomic<int> g_windows{0};

}  // namespace

Status AllocWindow(Bytes bytes, void** out) {
  *out = nullptr;
  if (bytes == 0) return InvalidArgument("chorusMemAlloc: size 0");
  const int fd = memfd_create("chorus-window", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return SystemError(ErrnoMessage("chorusMemAlloc: memfd_create", errno));
  // The pages are reserved now (a full tmpfs fails here, not with SIGBUS at first touch), and the
  // size is sealed: a window that could shrink would SIGBUS the peers reading it.
  int e = 0;
  if (ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
    e = errno;
  } else if (int rc = posix_fallocate(fd, 0, static_cast<off_t>(bytes)); rc != 0) {
    e = rc;
  } else if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    e = errno;
  }
  if (e != 0) {
    close(fd);
    return SystemError(ErrnoMessage("chorusMemAlloc: reserving " + std::to_string(bytes) + " bytes", e));
  }
  struct stat sb{};
  if (fstat(fd, &sb) != 0) {
    const int e = errno;
    close(fd);
    return SystemError(ErrnoMessage("chorusMemAlloc: fstat", e));
  }
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    const int e = errno;
    close(fd);
    return SystemError(ErrnoMessage("chorusMemAlloc: mmap of " + std::to_string(bytes) + " bytes", e));
  }
  {
    std::lock_guard<std::mutex> lock(RegistryMutex());
    Registry()[reinterpret_cast<uintptr_t>(p)] = Window{bytes, fd, static_cast<uint64_t>(sb.st_ino)};
    g_windows.fetch_add(1, std::memory_order_release);
  }
  *out = p;
  return Status::Ok();
}

Status FreeWindow(void* base) {
  Window w{};
  {
    std::lock_guard<std::mutex> lock(RegistryMutex());
    auto it = Registry().find(reinterpret_cast<uintptr_t>(base));
    if (it == Registry().end()) {
      return InvalidArgument("chorusMemFree: the pointer was not returned by chorusMemAlloc (or was freed already)");
    }
    w = it->second;
    Registry().erase(it);
    g_windows.fetch_sub(1, std::memory_order_release);
  }
  munmap(base, w.bytes);
  close(w.fd);
  return Status::Ok();
}

bool FindWindow(const void* p, Bytes n, WindowRef* ref) {
  if (g_windows.load(std::memory_order_acquire) == 0) return false;
  const auto a = reinterpret_cast<uintptr_t>(p);
  std::lock_guard<std::mutex> lock(RegistryMutex());
  auto& reg = Registry();
  auto it = reg.upper_bound(a);
  if (it == reg.begin()) return false;
  --it;
  const uintptr_t off = a - it->first;
  if (off >= it->second.bytes || n > it->second.bytes - off) return false;
  ref->inode = it->second.inode;
  ref->offset = off;
  ref->fd = it->second.fd;
  return true;
}

PeerWindows::~PeerWindows() {
  for (const Mapping& m : maps_) munmap(const_cast<char*>(m.base), m.bytes);
}

Status PeerWindows::Fail(int pid, uint64_t inode, Status why) {
  failed_.emplace_back(pid, inode);
  if (failed_.size() > kMaxMappings) failed_.pop_front();
  return why;
}

void PeerWindows::DropFreed() {
  for (auto it = maps_.begin(); it != maps_.end();) {
    struct stat sb{};
    const std::string path = "/proc/" + std::to_string(it->pid) + "/fd/" + std::to_string(it->fd);
    if (stat(path.c_str(), &sb) != 0 || static_cast<uint64_t>(sb.st_ino) != it->inode) {
      munmap(const_cast<char*>(it->base), it->bytes);
      it = maps_.erase(it);
    } else {
      ++it;
    }
  }
}

Status PeerWindows::Map(int pid, const WindowRef& ref, Bytes n, const char** out) {
  *out = nullptr;
  for (auto it = maps_.begin(); it != maps_.end(); ++it) {
    if (it->pid != pid || it->inode != ref.inode) continue;
    if (ref.offset > it->bytes || n > it->bytes - ref.offset) break;  // checked below, with the error
    if (it != maps_.begin()) maps_.splice(maps_.begin(), maps_, it);
    *out = maps_.front().base + ref.offset;
    return Status::Ok();
  }
  for (const auto& f : failed_) {
    if (f.first == pid && f.second == ref.inode) return RemoteError("window could not be mapped earlier");
  }
  DropFreed();
  const std::string path = "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(ref.fd);
  // Non-blocking: a hostile peer's descriptor could be a FIFO, whose open would wait forever.
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return Fail(pid, ref.inode, SystemError(ErrnoMessage("open " + path, errno)));
  struct stat sb{};
  if (fstat(fd, &sb) != 0 || static_cast<uint64_t>(sb.st_ino) != ref.inode || !S_ISREG(sb.st_mode)) {
    close(fd);
    return RemoteError(path + " is not the window the reference names (freed, or the descriptor reused)");
  }
  // Only a window that can never shrink is safe to read through a mapping (else SIGBUS).
  const int seals = fcntl(fd, F_GET_SEALS);
  if (seals < 0 || (seals & F_SEAL_SHRINK) == 0) {
    close(fd);
    return Fail(pid, ref.inode, RemoteError(path + " is not a sealed shared window"));
  }
  const Bytes bytes = static_cast<Bytes>(sb.st_size);
  if (ref.offset > bytes || n > bytes - ref.offset) {
    close(fd);
    return RemoteError("a window reference of " + std::to_string(n) + " bytes at offset " + std::to_string(ref.offset) +
                       " lies outside the " + std::to_string(bytes) + "-byte window");
  }
  void* p = mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  if (p == MAP_FAILED) return Fail(pid, ref.inode, SystemError(ErrnoMessage("mmap of " + path, errno)));
  // Another window of the same inode and pid replaces a stale entry (cannot happen while the
  // inode lives, but a mapping is cheap to drop).
  for (auto it = maps_.begin(); it != maps_.end();) {
    if (it->pid == pid && it->inode == ref.inode) {
      munmap(const_cast<char*>(it->base), it->bytes);
      it = maps_.erase(it);
    } else {
      ++it;
    }
  }
  maps_.push_front(Mapping{pid, ref.fd, ref.inode, static_cast<const char*>(p), bytes});
  while (maps_.size() > kMaxMappings) {
    munmap(const_cast<char*>(maps_.back().base), maps_.back().bytes);
    maps_.pop_back();
  }
  *out = maps_.front().base + ref.offset;
  return Status::Ok();
}

}  // namespace chorus::shm
