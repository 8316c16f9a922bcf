// A single-producer single-consumer FIFO of slots laid out in shared memory.
//
// A slot is published by writing its sequence number (slot index + 1, counting from the FIFO's
// start) last, with release: the receiver polls the header line of the slot it expects next, so
// a small message costs one cache-line transfer (its bytes ride inline in that same line). tail
// counts slots the receiver has released; the sender reads it only when the FIFO looks full.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "transports/transport.h"

namespace chorus::shm {

struct alignas(64) FifoControl {
  char reserved[64];  // keeps tail off the line that precedes the FIFO in the segment
  std::atomic<uint64_t> tail;
  char pad1[64 - sizeof(std::atomic<uint64_t>)];
};
static_assert(sizeof(FifoControl) == 128);
static_assert(std::atomic<uint64_t>::is_always_lock_free, "shm FIFOs need lock-free 64-bit atomics");

constexpr uint64_t kInlineBytes = 32;

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

// The sender's view of a FIFO in a peer's segment.
class FifoWriter final : public transport::SendQueue {
 public:
  FifoWriter() = default;
  FifoWriter(void* base, const FifoGeometry& g) : base_(static_cast<char*>(base)), geo_(g) {}
  Status TryPush(const transport::MessageHeader& hdr, const void* data, Bytes n, Bytes* taken) override;

 private:
  FifoControl* ctl() const { return reinterpret_cast<FifoControl*>(base_); }
  char* slot(uint64_t i) const {
    return base_ + sizeof(FifoControl) + (i % geo_.slots) * (sizeof(SlotHeader) + geo_.slot_bytes);
  }
  char* base_ = nullptr;
  FifoGeometry geo_;
  uint64_t head_ = 0;         // slots published so far
  uint64_t tail_cached_ = 0;  // last tail we read; refreshed only when the FIFO looks full
};

// The receiver's view of a FIFO in its own segment.
class FifoReader final : public transport::RecvQueue {
 public:
  FifoReader() = default;
  FifoReader(void* base, const FifoGeometry& g) : base_(static_cast<char*>(base)), geo_(g) {}
  Status TryPeek(transport::MessageHeader* hdr, const void** data, Bytes* n) override;
  void Consume(Bytes n) override;

 private:
  FifoControl* ctl() const { return reinterpret_cast<FifoControl*>(base_); }
  char* slot(uint64_t i) const {
    return base_ + sizeof(FifoControl) + (i % geo_.slots) * (sizeof(SlotHeader) + geo_.slot_bytes);
  }
  char* base_ = nullptr;
  FifoGeometry geo_;
  uint64_t tail_ = 0;
  uint64_t consumed_ = 0;  // bytes of the current slot already released
};

}  // namespace chorus::shm
