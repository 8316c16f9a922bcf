// A single-producer single-consumer FIFO of slots laid out in shared memory.
//
// A slot is published by writing its sequence number (slot index + 1, counting from the FIFO's
// start) last, with release: the receiver polls the header line of the slot it expects next, so
// a small message costs one cache-line transfer (its bytes ride inline in that same line). tail
// counts slots the receiver has released; the sender reads it only when the FIFO looks full.
//
// A slot may instead hold a reference (single copy): the address of bytes in the sender's own
// memory, which the receiver copies straight into its destination (process_vm_readv), or, for
// bytes in a shared window (windows.h), the window's name, which the receiver maps and copies
// from with memcpy. The sender keeps those bytes until the receiver releases the slot, so tail
// doubles as the acknowledgement.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "transports/shm/peer_distance.h"
#include "transports/shm/windows.h"
#include "transports/transport.h"

namespace chorus::shm {

struct alignas(64) FifoControl {
  // Written once by the receiver at connection time (kRefsDecided | what it can do): whether it
  // can read the sender's memory (kRefsRead: plain references) and map the sender's shared
  // windows (kRefsWindows: window references). Its line also keeps tail off the line before the
  // FIFO.
  std::atomic<uint64_t> refs_ok;
  char reserved[64 - sizeof(std::atomic<uint64_t>)];
  std::atomic<uint64_t> tail;
  char pad1[64 - sizeof(std::atomic<uint64_t>)];
};
static_assert(sizeof(FifoControl) == 128);
static_assert(std::atomic<uint64_t>::is_always_lock_free, "shm FIFOs need lock-free 64-bit atomics");

constexpr uint64_t kRefsRead = 1, kRefsWindows = 2, kRefsDecided = 4;

constexpr uint64_t kInlineBytes = 32;
// SlotHeader::len with this bit set: the slot is a reference to len & kRefLenMask bytes at the
// sender's address stored in inline_data.
constexpr uint64_t kRefFlag = 1ull << 63;
constexpr uint64_t kRefLenMask = (1ull << 47) - 1;
// With kRefFlag: the bytes lie in a shared window; inline_data holds a WindowSlotRef.
constexpr uint64_t kWindowFlag = 1ull << 62;
struct WindowSlotRef {
  uint64_t addr;    // in the sender: the process_vm_readv fallback
  uint64_t inode;
  uint64_t offset;
  int32_t fd;
  uint32_t reserved;
};
static_assert(sizeof(WindowSlotRef) == 32);

struct alignas(64) SlotHeader {
  std::atomic<uint64_t> seq;  // published last: slot index + 1
  uint64_t tag;
  uint64_t msg_bytes;
  uint64_t len;                       // data bytes in this slot
  unsigned char inline_data[kInlineBytes];  // the data when len <= kInlineBytes
};
static_assert(sizeof(SlotHeader) == 64);

struct FifoGeometry {
  uint32_t slots = 8;
  uint64_t slot_bytes = 64 * 1024;  // a multiple of 64
  uint64_t fifo_bytes() const { return sizeof(FifoControl) + slots * (sizeof(SlotHeader) + slot_bytes); }
};

// How the sender copies a large message's bytes into the FIFO (CHORUS_SHM_PUSH).
enum class PushStores {
  kAuto,      // streaming stores while the receiver's core is far (PeerDistance), else paired
  kCached,    // always plain stores, never paired
  kStreamed,  // always streaming stores, for pieces of at least kStreamedPushMinBytes
  kPaired,    // always paired with the executor's receives where it can, else plain
};
constexpr uint64_t kStreamedPushMinBytes = 4096;

// The sender's view of a FIFO in a peer's segment.
class alignas(64) FifoWriter final : public transport::SendQueue {
 public:
  FifoWriter() = default;
  FifoWriter(void* base, const FifoGeometry& g) : base_(static_cast<char*>(base)), geo_(g) {}
  Status TryPush(const transport::MessageHeader& hdr, const void* data, Bytes n, Bytes* taken) override;
  Bytes ref_min_bytes(const void* data, Bytes n) const override;
  Status TryPushRef(const transport::MessageHeader& hdr, const void* data, Bytes n, uint64_t* ticket) override;
  bool Released(uint64_t ticket) override;
  bool PairsCopies(Bytes msg_bytes) const override;
  Status TryReserve(const transport::MessageHeader& hdr, Bytes n, void** dst, Bytes* room) override;
  void Commit(const transport::MessageHeader& hdr, Bytes n) override;
  // The receiver's connection-time verdict (FifoControl::refs_ok).
  bool receiver_reads_refs() const { return Verdict(kRefsRead); }
  bool receiver_maps_windows() const { return Verdict(kRefsWindows); }
  // References for pieces of at least `min_bytes`, and of at least `window_min_bytes` for memory in
  // a shared window; 0 turns either off.
  void EnableRefs(Bytes min_bytes, Bytes window_min_bytes) {
    ref_min_ = min_bytes;
    window_min_ = window_min_bytes;
  }
  bool takes_refs() const { return ref_min_ > 0 || window_min_ > 0; }
  // `peer`: the receiver's rank, named in the log line that reports a change of verdict.
  // `auto_min_bytes`: kAuto streams or pairs messages at least this large (and at least the
  // FIFO's size): smaller ones stay in the caches, where plain copies in bulk are cheapest.
  void SetPushStores(PushStores p, Rank peer, Bytes auto_min_bytes = 0) {
    push_stores_ = p;
    peer_ = peer;
    auto_min_bytes_ = auto_min_bytes;
  }
  // Whether the receiver's core looks far (kAuto's verdict so far).
  bool peer_far() const { return distance_.far(); }

 private:
  FifoControl* ctl() const { return reinterpret_cast<FifoControl*>(base_); }
  // Streaming stores for a `piece`-byte piece of a `msg_bytes`-byte message.
  bool StreamPiece(Bytes msg_bytes, Bytes piece) const;
  Bytes AutoMinBytes() const { return std::max<Bytes>(auto_min_bytes_, geo_.slots * geo_.slot_bytes); }
  bool Verdict(uint64_t bit) const {
    const uint64_t v = ctl()->refs_ok.load(std::memory_order_acquire);
    return (v & kRefsDecided) != 0 && (v & bit) != 0;
  }
  char* slot(uint64_t i) const {
    return base_ + sizeof(FifoControl) + (i % geo_.slots) * (sizeof(SlotHeader) + geo_.slot_bytes);
  }
  bool Full();
  char* base_ = nullptr;
  FifoGeometry geo_;
  Bytes ref_min_ = 0;
  Bytes window_min_ = 0;
  uint64_t head_ = 0;         // slots published so far
  uint64_t tail_cached_ = 0;  // last tail we read; refreshed only when the FIFO looks full
  PushStores push_stores_ = PushStores::kAuto;
  Rank peer_ = -1;
  Bytes auto_min_bytes_ = 0;  // never below the FIFO's size (AutoMinBytes)
  PeerDistance distance_;
};

// The receiver's view of a FIFO in its own segment.
class alignas(64) FifoReader final : public transport::RecvQueue {
 public:
  FifoReader() = default;
  // `sender_pid`: the writing rank's process, whose memory references point into.
  // `windows`: where the sender's shared windows get mapped (may be null: process_vm_readv).
  FifoReader(void* base, const FifoGeometry& g, int sender_pid, Rank sender, PeerWindows* windows = nullptr)
      : base_(static_cast<char*>(base)), geo_(g), sender_pid_(sender_pid), sender_(sender), windows_(windows) {}
  Status TryPeek(transport::MessageHeader* hdr, const void** data, Bytes* n) override;
  void Consume(Bytes n) override;
  Status ReadInto(void* dst, Bytes n, bool stream = false) override;
  // Tells the sender whether it may post references to us (FifoControl::refs_ok).
  void AcceptRefs(bool read, bool windows) {
    ctl()->refs_ok.store(kRefsDecided | (read ? kRefsRead : 0) | (windows ? kRefsWindows : 0), std::memory_order_release);
  }

 private:
  FifoControl* ctl() const { return reinterpret_cast<FifoControl*>(base_); }
  char* slot(uint64_t i) const {
    return base_ + sizeof(FifoControl) + (i % geo_.slots) * (sizeof(SlotHeader) + geo_.slot_bytes);
  }
  char* base_ = nullptr;
  FifoGeometry geo_;
  int sender_pid_ = 0;
  Rank sender_ = -1;
  PeerWindows* windows_ = nullptr;
  uint64_t tail_ = 0;
  uint64_t consumed_ = 0;  // bytes of the current slot already released
  // What the last TryPeek validated about the current slot. The peer can rewrite the slot at any
  // time, so ReadInto and Consume use these, never the slot's fields again.
  bool peeked_ = false;
  bool peeked_ref_ = false;
  bool peeked_window_ = false;
  uint64_t peeked_len_ = 0;
  uint64_t peeked_addr_ = 0;
  WindowRef peeked_win_;
};

// Copies `n` bytes at `remote` in process `pid` into `dst` with process_vm_readv (this process
// too: a bad address is then EFAULT, not a crash). Fails with a message naming `peer` when the
// memory cannot be read.
Status CopyFromProcess(int pid, Rank peer, const void* remote, void* dst, Bytes n);

}  // namespace chorus::shm
