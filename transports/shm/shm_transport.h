// Connections between ranks of one host through POSIX shared memory (see README.md).
#pragma once

#include <memory>
#include <vector>

#include "bootstrap/bootstrap.h"
#include "transports/shm/fifo.h"
#include "transports/shm/windows.h"
#include "transports/transport.h"

namespace chorus::shm {

struct ShmOptions {
  int channels = 1;
  FifoGeometry geometry;  // CHORUS_SHM_SLOTS, CHORUS_SHM_SLOT_BYTES
  // Pieces of at least this many bytes travel by reference when the receiver can read the
  // sender's memory (one copy instead of two); 0: never. CHORUS_SHM_SINGLE_COPY_BYTES.
  Bytes single_copy_bytes = 0;
  // Pieces of at least this many bytes in a shared window (chorusMemAlloc) travel by reference
  // when the receiver can read the sender's memory: it maps the window and copies with memcpy.
  // 0: never. CHORUS_SHM_WINDOW_BYTES.
  Bytes window_bytes = 64 * 1024;
  // How large messages are copied into the FIFO. CHORUS_SHM_PUSH: auto, cached, streamed, paired.
  PushStores push_stores = PushStores::kAuto;
  // kAuto acts on messages at least this large (host::StreamingThreshold, CHORUS_NT_STORE_BYTES:
  // the size from which results outgrow the caches); ShmOptionsFromEnv turns auto into kCached
  // when it is 0.
  Bytes auto_min_bytes = 16 << 20;
};

// Reads CHORUS_SHM_SLOTS / CHORUS_SHM_SLOT_BYTES / CHORUS_SHM_SINGLE_COPY_BYTES /
// CHORUS_SHM_WINDOW_BYTES / CHORUS_SHM_PUSH over the defaults, clamped to sane ranges.
ShmOptions ShmOptionsFromEnv(int channels);

class ShmConnections final : public transport::Connections {
 public:
  // Collective over the bootstrap: every rank calls it. All ranks must share this host.
  static Status Create(Bootstrap* bootstrap, const ShmOptions& opts,
                       std::unique_ptr<ShmConnections>* out);
  ~ShmConnections() override;

  int channels() const override { return opts_.channels; }
  transport::SendQueue* send_queue(Rank peer, int channel) override;
  transport::RecvQueue* recv_queue(Rank peer, int channel) override;
  Status PeerStatus(Rank peer) override;
  bool PeerDead(Rank peer) override;
  bool PeerFailed(Rank peer) override;
  void DeclareFailed(const std::string& why) override;
  // Unmaps peers' windows they have freed, at most every 100 ms and only while some are mapped.
  void AfterCall() override;
  void PostMailbox(uint64_t epoch, const void* data, size_t bytes) override;
  bool ReadMailbox(Rank peer, uint64_t epoch, void* data, size_t bytes) override;

 private:
  struct Mapping {
    void* base = nullptr;
    size_t bytes = 0;
  };
  ShmConnections(Rank rank, int nranks, const ShmOptions& opts) : rank_(rank), nranks_(nranks), opts_(opts) {}
  size_t FifoOffset(Rank src, int channel) const;
  // Probes whether this rank can read rank p's memory and tells p's writers (FifoControl::refs_ok
  // of our inbound FIFOs from p).
  void DecideRefsFrom(Rank p, uint64_t probe_addr, uint64_t probe_value, int32_t window_fd, uint64_t window_inode);

  Rank rank_;
  int nranks_;
  ShmOptions opts_;
  std::vector<Mapping> segments_;  // [rank]: that rank's segment, mapped here
  std::vector<int> pids_;          // [rank]: its process id (liveness)
  std::vector<FifoWriter> writers_;  // [peer * channels + channel]
  std::vector<FifoReader> readers_;  // [peer * channels + channel]
  PeerWindows windows_;              // peers' shared windows mapped here (readers_ use it)
  int64_t next_tidy_ns_ = 0;         // AfterCall: when to look for freed windows next
  uint64_t probe_word_ = 0;          // read by peers' probes during Create
  void* window_probe_ = nullptr;     // a window holding probe_word_, mapped by peers' probes
};

}  // namespace chorus::shm
