#include "transports/shm/shm_transport.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <atomic>
#include <fstream>
#include <string>

#include "core/env.h"
#include "device/host/copy.h"
#include "core/log.h"

namespace chorus::shm {

namespace {

constexpr uint64_t kSegmentMagic = 0x43484f5255534d31ull;  // "CHORUSM1"
constexpr size_t kNameBytes = 64;
constexpr size_t kHeaderBytes = 4096;

constexpr size_t kFailureTextBytes = 512;

struct SegmentHeader {
  uint64_t magic;
  uint32_t nranks;
  uint32_t channels;
  uint32_t slots;
  uint32_t pad;
  uint64_t slot_bytes;
  int64_t owner_pid;
  uint64_t total_bytes;
  // Written by the owner only. failed != 0: the owner declared a failure, described by the text.
  alignas(64) std::atomic<uint32_t> failed;
  char failure[kFailureTextBytes];
  // The owner's mailbox: data is valid once epoch (released after it) equals the reader's epoch.
  alignas(64) std::atomic<uint64_t> mailbox_epoch;
  char mailbox[transport::Connections::kMailboxBytes];
  // A word of the owner's private memory holding probe_value: peers read it with
  // process_vm_readv to learn whether they can read the owner's buffers (single copy).
  alignas(64) uint64_t probe_addr;
  uint64_t probe_value;
  // A small shared window of the owner's holding probe_value at its start: peers map it to learn
  // whether they can map the owner's windows (opening /proc/<pid>/fd takes other permissions than
  // process_vm_readv). fd < 0: none.
  int32_t window_probe_fd;
  uint64_t window_probe_inode;
};
static_assert(sizeof(SegmentHeader) <= kHeaderBytes);

std::string NewSegmentName(Rank rank) {
  uint64_t r = 0;
  if (getrandom(&r, sizeof(r), 0) != sizeof(r)) r = static_cast<uint64_t>(getpid()) * 2654435761u;
  char buf[kNameBytes];
  snprintf(buf, sizeof(buf), "/chorus-%d-%016llx-r%d", static_cast<int>(getpid()),
           static_cast<unsigned long long>(r), rank);
  return buf;
}

// A process killed between creating its segment and unlinking it (a short window in Create)
// leaves the segment behind; its name carries the creator's pid, so the next communicator on this
// host removes segments whose creator no longer exists.
void ReapStaleSegments() {
  DIR* d = opendir("/dev/shm");
  if (d == nullptr) return;
  while (dirent* e = readdir(d)) {
    int pid = 0;
    if (sscanf(e->d_name, "chorus-%d-", &pid) != 1 || pid <= 0) continue;
    if (kill(pid, 0) != 0 && errno == ESRCH) {
      std::string name = std::string("/") + e->d_name;
      if (shm_unlink(name.c_str()) == 0) {
        CHORUS_INFO(kTransport, "removed %s, left by process %d which no longer exists", name.c_str(), pid);
      }
    }
  }
  closedir(d);
}

// Whether this process can read `pid`'s memory at `addr`, which holds `expected`: ptrace rules
// (Yama's ptrace_scope, containers' seccomp) decide, so ask the kernel rather than guess.
bool CanReadProcess(int pid, uint64_t addr, uint64_t expected, std::string* why) {
  uint64_t got = 0;
  iovec local{&got, sizeof(got)};
  iovec far{reinterpret_cast<void*>(addr), sizeof(got)};
  ssize_t n = process_vm_readv(pid, &local, 1, &far, 1, 0);
  if (n != static_cast<ssize_t>(sizeof(got))) {
    *why = n < 0 ? strerror(errno) : "short read";
    return false;
  }
  if (got != expected) {
    *why = "read a different value";
    return false;
  }
  return true;
}

// A reference threshold from `var`: 0 (off) up to the largest reference; else `fallback`.
Bytes ReferenceBytesFromEnv(const char* var, Bytes fallback) {
  const int64_t v = EnvInt(var, static_cast<int64_t>(fallback));
  if (v < 0 || v > static_cast<int64_t>(kRefLenMask)) {
    CHORUS_WARN(kTransport, "%s=%lld out of range; using %llu", var, static_cast<long long>(v),
                static_cast<unsigned long long>(fallback));
    return fallback;
  }
  return static_cast<Bytes>(v);
}

}  // namespace

ShmOptions ShmOptionsFromEnv(int channels) {
  ShmOptions o;
  o.channels = channels;
  int64_t slots = EnvInt("CHORUS_SHM_SLOTS", o.geometry.slots);
  int64_t slot_bytes = EnvInt("CHORUS_SHM_SLOT_BYTES", static_cast<int64_t>(o.geometry.slot_bytes));
  if (slots < 2 || slots > 1024) {
    CHORUS_WARN(kTransport, "CHORUS_SHM_SLOTS=%lld out of [2, 1024]; using %u",
                static_cast<long long>(slots), o.geometry.slots);
  } else {
    o.geometry.slots = static_cast<uint32_t>(slots);
  }
  if (slot_bytes < 64 || slot_bytes > (64ll << 20) || slot_bytes % 64 != 0) {
    CHORUS_WARN(kTransport, "CHORUS_SHM_SLOT_BYTES=%lld not a multiple of 64 in [64, 64M]; using %llu",
                static_cast<long long>(slot_bytes),
                static_cast<unsigned long long>(o.geometry.slot_bytes));
  } else {
    o.geometry.slot_bytes = static_cast<uint64_t>(slot_bytes);
  }
  o.single_copy_bytes = ReferenceBytesFromEnv("CHORUS_SHM_SINGLE_COPY_BYTES", o.single_copy_bytes);
  o.window_bytes = ReferenceBytesFromEnv("CHORUS_SHM_WINDOW_BYTES", o.window_bytes);
  o.auto_min_bytes = host::StreamingThreshold();
  const std::string push = EnvString("CHORUS_SHM_PUSH", "auto");
  if (push == "cached") {
    o.push_stores = PushStores::kCached;
  } else if (push == "streamed") {
    o.push_stores = PushStores::kStreamed;
  } else if (push == "paired") {
    o.push_stores = PushStores::kPaired;
  } else if (push != "auto") {
    CHORUS_WARN(kTransport, "CHORUS_SHM_PUSH=%s is not auto, cached, streamed or paired; using auto", push.c_str());
  }
  // Streaming results turned off (CHORUS_NT_STORE_BYTES=0): auto keeps plain stores too.
  if (o.push_stores == PushStores::kAuto && o.auto_min_bytes == 0) o.push_stores = PushStores::kCached;
  return o;
}

size_t ShmConnections::FifoOffset(Rank src, int channel) const {
  return kHeaderBytes +
         (static_cast<size_t>(src) * opts_.channels + channel) * opts_.geometry.fifo_bytes();
}

Status ShmConnections::Create(Bootstrap* bootstrap, const ShmOptions& opts,
                              std::unique_ptr<ShmConnections>* out) {
  const Rank rank = bootstrap->rank();
  const int nranks = bootstrap->size();
  std::unique_ptr<ShmConnections> c(new ShmConnections(rank, nranks, opts));
  const size_t seg_bytes = c->FifoOffset(nranks, 0);
  c->segments_.resize(nranks);
  c->pids_.assign(nranks, 0);

  ReapStaleSegments();
  // 1. Our segment: our inbound FIFOs from every rank (ourselves included, for sends to self).
  std::string name = NewSegmentName(rank);
  int fd = shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
  if (fd < 0) return SystemError(ErrnoMessage("shm_open(" + name + ")", errno));
  if (ftruncate(fd, static_cast<off_t>(seg_bytes)) != 0) {
    int err = errno;
    close(fd);
    shm_unlink(name.c_str());
    return SystemError(ErrnoMessage("ftruncate of shared segment to " + std::to_string(seg_bytes) +
                                        " bytes (is /dev/shm large enough?)", err));
  }
  void* own = mmap(nullptr, seg_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (own == MAP_FAILED) {
    int err = errno;
    shm_unlink(name.c_str());
    return SystemError(ErrnoMessage("mmap of shared segment", err));
  }
  auto* hdr = static_cast<SegmentHeader*>(own);
  hdr->nranks = static_cast<uint32_t>(nranks);
  hdr->channels = static_cast<uint32_t>(opts.channels);
  hdr->slots = opts.geometry.slots;
  hdr->slot_bytes = opts.geometry.slot_bytes;
  hdr->owner_pid = getpid();
  hdr->total_bytes = seg_bytes;
  if (getrandom(&c->probe_word_, sizeof(c->probe_word_), 0) != sizeof(c->probe_word_)) {
    c->probe_word_ = reinterpret_cast<uintptr_t>(own) ^ 0x9e3779b97f4a7c15ull;
  }
  hdr->probe_addr = reinterpret_cast<uintptr_t>(&c->probe_word_);
  hdr->probe_value = c->probe_word_;
  hdr->window_probe_fd = -1;
  if (opts.window_bytes > 0 && AllocWindow(4096, &c->window_probe_).ok()) {
    memcpy(c->window_probe_, &c->probe_word_, sizeof(c->probe_word_));
    WindowRef ref;
    if (FindWindow(c->window_probe_, 4096, &ref)) {
      hdr->window_probe_fd = ref.fd;
      hdr->window_probe_inode = ref.inode;
    }
  }
  hdr->magic = kSegmentMagic;
  c->segments_[rank] = {own, seg_bytes};

  // 2. Exchange names; map every peer's segment.
  std::vector<char> names(static_cast<size_t>(nranks) * kNameBytes, 0);
  memcpy(&names[static_cast<size_t>(rank) * kNameBytes], name.c_str(), name.size() + 1);
  Status st = bootstrap->AllGather(names.data(), kNameBytes);
  if (st.ok()) {
    for (Rank p = 0; p < nranks && st.ok(); ++p) {
      if (p == rank) continue;
      std::string peer_name(&names[static_cast<size_t>(p) * kNameBytes], strnlen(&names[static_cast<size_t>(p) * kNameBytes], kNameBytes - 1));
      int pfd = shm_open(peer_name.c_str(), O_RDWR, 0600);
      if (pfd < 0) {
        st = SystemError(ErrnoMessage("shm_open of rank " + std::to_string(p) + "'s segment " +
                                          peer_name + " (are all ranks on this host?)", errno));
        break;
      }
      struct stat sb;
      if (fstat(pfd, &sb) != 0 || static_cast<size_t>(sb.st_size) != seg_bytes) {
        close(pfd);
        st = RemoteError("rank " + std::to_string(p) + "'s shared segment has size " +
                         std::to_string(sb.st_size) + ", expected " + std::to_string(seg_bytes) +
                         " (CHORUS_SHM_* settings differ between ranks?)");
        break;
      }
      void* m = mmap(nullptr, seg_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, pfd, 0);
      close(pfd);
      if (m == MAP_FAILED) {
        st = SystemError(ErrnoMessage("mmap of rank " + std::to_string(p) + "'s segment", errno));
        break;
      }
      c->segments_[p] = {m, seg_bytes};
      const auto* ph = static_cast<const SegmentHeader*>(m);
      if (ph->magic != kSegmentMagic || ph->nranks != static_cast<uint32_t>(nranks) ||
          ph->channels != static_cast<uint32_t>(opts.channels) || ph->slots != opts.geometry.slots ||
          ph->slot_bytes != opts.geometry.slot_bytes || ph->total_bytes != seg_bytes) {
        st = RemoteError("rank " + std::to_string(p) + "'s shared segment header does not match ours");
        break;
      }
      c->pids_[p] = static_cast<int>(ph->owner_pid);
      c->DecideRefsFrom(p, ph->probe_addr, ph->probe_value, ph->window_probe_fd, ph->window_probe_inode);
    }
  }
  c->pids_[rank] = getpid();
  c->DecideRefsFrom(rank, hdr->probe_addr, hdr->probe_value, hdr->window_probe_fd, hdr->window_probe_inode);
  // 3. Once everyone has mapped everything, the names are no longer needed: unlink ours so that
  //    nothing outlives the processes.
  Status barrier = bootstrap->Barrier();
  shm_unlink(name.c_str());
  if (!st.ok()) return st;
  if (!barrier.ok()) return barrier;

  const int ch = opts.channels;
  c->writers_.resize(static_cast<size_t>(nranks) * ch);
  c->readers_.resize(static_cast<size_t>(nranks) * ch);
  for (Rank p = 0; p < nranks; ++p) {
    for (int k = 0; k < ch; ++k) {
      char* peer_base = static_cast<char*>(c->segments_[p].base);
      c->writers_[static_cast<size_t>(p) * ch + k] = FifoWriter(peer_base + c->FifoOffset(rank, k), opts.geometry);
      c->readers_[static_cast<size_t>(p) * ch + k] =
          FifoReader(static_cast<char*>(own) + c->FifoOffset(p, k), opts.geometry, c->pids_[p], p, &c->windows_);
      FifoWriter& w = c->writers_[static_cast<size_t>(p) * ch + k];
      w.EnableRefs(w.receiver_reads_refs() ? opts.single_copy_bytes : 0,
                   w.receiver_maps_windows() ? opts.window_bytes : 0);
      w.SetPushStores(opts.push_stores, p, opts.auto_min_bytes);
    }
  }
  // Peers that take plain references (single copy on, they can read us) and window references.
  int single_copy_peers = 0, window_peers = 0;
  for (Rank p = 0; p < nranks; ++p) {
    const FifoWriter& w = c->writers_[static_cast<size_t>(p) * ch];
    single_copy_peers += opts.single_copy_bytes > 0 && w.receiver_reads_refs() ? 1 : 0;
    window_peers += opts.window_bytes > 0 && w.receiver_maps_windows() ? 1 : 0;
  }
  CHORUS_INFO(kTransport, "shm: rank %d/%d connected, %d channel(s), %u slots x %llu bytes per FIFO; "
              "single copy to %d of %d ranks from %llu bytes; shared windows to %d of %d ranks from %llu bytes",
              rank, nranks, ch, opts.geometry.slots,
              static_cast<unsigned long long>(opts.geometry.slot_bytes), single_copy_peers, nranks,
              static_cast<unsigned long long>(opts.single_copy_bytes), window_peers, nranks,
              static_cast<unsigned long long>(opts.window_bytes));
  *out = std::move(c);
  return Status::Ok();
}

void ShmConnections::DecideRefsFrom(Rank p, uint64_t probe_addr, uint64_t probe_value, int32_t window_fd,
                                    uint64_t window_inode) {
  // Probed for every peer, threads of this process too: a peer with our pid may be another
  // process in another pid namespace, whose addresses mean nothing here.
  bool read = opts_.single_copy_bytes > 0 || opts_.window_bytes > 0;  // windows fall back to reads
  if (read) {
    std::string why;
    read = CanReadProcess(pids_[p], probe_addr, probe_value, &why);
    if (!read) {
      CHORUS_INFO(kTransport, "shm: rank %d cannot read rank %d's memory (process_vm_readv: %s; "
                  "ptrace rules?): messages from it take two copies", rank_, p, why.c_str());
    }
  }
  // Windows are mapped through /proc/<pid>/fd: a probe window of the peer's, read back here, in a
  // cache of its own so that the mapping goes away at once.
  bool windows = false;
  if (opts_.window_bytes > 0 && window_fd >= 0) {
    PeerWindows probe;
    const char* at = nullptr;
    uint64_t seen = 0;
    Status st = probe.Map(pids_[p], WindowRef{window_inode, 0, window_fd}, sizeof(seen), &at);
    if (st.ok()) memcpy(&seen, at, sizeof(seen));
    windows = st.ok() && seen == probe_value;
    if (!windows) {
      CHORUS_INFO(kTransport, "shm: rank %d cannot map rank %d's shared windows (%s): buffers from "
                  "chorusMemAlloc take %s", rank_, p, st.ok() ? "read a different value" : st.message().c_str(),
                  read ? "process_vm_readv" : "two copies");
    }
  }
  char* own = static_cast<char*>(segments_[rank_].base);
  for (int k = 0; k < opts_.channels; ++k) {
    FifoReader(own + FifoOffset(p, k), opts_.geometry, 0, p).AcceptRefs(read, windows);
  }
}

ShmConnections::~ShmConnections() {
  if (window_probe_ != nullptr) (void)FreeWindow(window_probe_);
  for (auto& m : segments_) {
    if (m.base != nullptr) munmap(m.base, m.bytes);
  }
}

transport::SendQueue* ShmConnections::send_queue(Rank peer, int channel) {
  if (peer < 0 || peer >= nranks_ || channel < 0 || channel >= opts_.channels) return nullptr;
  return &writers_[static_cast<size_t>(peer) * opts_.channels + channel];
}

transport::RecvQueue* ShmConnections::recv_queue(Rank peer, int channel) {
  if (peer < 0 || peer >= nranks_ || channel < 0 || channel >= opts_.channels) return nullptr;
  return &readers_[static_cast<size_t>(peer) * opts_.channels + channel];
}

namespace {
// A process that has exited but not been reaped (a zombie) still answers kill(pid, 0): read its
// state from /proc instead.
bool ProcessAlive(int pid) {
  if (kill(pid, 0) != 0 && errno == ESRCH) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;  // no /proc: trust kill()
  size_t paren = line.rfind(')');
  if (paren == std::string::npos || paren + 2 >= line.size()) return true;
  char state = line[paren + 2];
  return state != 'Z' && state != 'X';
}
}  // namespace

Status ShmConnections::PeerStatus(Rank peer) {
  if (peer < 0 || peer >= nranks_) return InvalidArgument("no rank " + std::to_string(peer));
  auto* h = static_cast<SegmentHeader*>(segments_[peer].base);
  if (h->failed.load(std::memory_order_acquire) != 0) {
    char text[kFailureTextBytes];
    memcpy(text, h->failure, sizeof(text));
    text[sizeof(text) - 1] = 0;
    return RemoteError("rank " + std::to_string(peer) + " failed: " + text);
  }
  int pid = pids_[peer];
  if (pid > 0 && pid != getpid() && !ProcessAlive(pid)) {
    char host[256] = {0};
    gethostname(host, sizeof(host) - 1);  // shm peers share this host
    return RemoteError("rank " + std::to_string(peer) + " (pid " + std::to_string(pid) + " on host " + host + ") died");
  }
  return Status::Ok();
}

bool ShmConnections::PeerDead(Rank peer) {
  if (peer < 0 || peer >= nranks_) return true;
  int pid = pids_[peer];
  return pid > 0 && pid != getpid() && !ProcessAlive(pid);
}

bool ShmConnections::PeerFailed(Rank peer) {
  if (peer < 0 || peer >= nranks_) return true;
  return static_cast<SegmentHeader*>(segments_[peer].base)->failed.load(std::memory_order_acquire) != 0;
}

void ShmConnections::DeclareFailed(const std::string& why) {
  auto* h = static_cast<SegmentHeader*>(segments_[rank_].base);
  if (h->failed.load() != 0) return;
  snprintf(h->failure, sizeof(h->failure), "%s", why.c_str());
  h->failed.store(1, std::memory_order_release);
}

void ShmConnections::AfterCall() {
  if (windows_.mapped() == 0) return;
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  const int64_t ns = static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
  if (ns < next_tidy_ns_) return;
  next_tidy_ns_ = ns + 100 * 1000000;
  windows_.DropFreed();
}

void ShmConnections::PostMailbox(uint64_t epoch, const void* data, size_t bytes) {
  auto* h = static_cast<SegmentHeader*>(segments_[rank_].base);
  memcpy(h->mailbox, data, std::min(bytes, sizeof(h->mailbox)));
  h->mailbox_epoch.store(epoch, std::memory_order_release);
}

bool ShmConnections::ReadMailbox(Rank peer, uint64_t epoch, void* data, size_t bytes) {
  if (peer < 0 || peer >= nranks_) return false;
  auto* h = static_cast<SegmentHeader*>(segments_[peer].base);
  if (h->mailbox_epoch.load(std::memory_order_acquire) != epoch) return false;
  memcpy(data, h->mailbox, std::min(bytes, sizeof(h->mailbox)));
  return true;
}

}  // namespace chorus::shm
