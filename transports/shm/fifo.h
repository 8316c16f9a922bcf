// A single-producer single-consumer FIFO of slots laid out in shared memory.
//
// head counts slots the sender has published, tail counts slots the receiver has released; both
// only grow. The sender owns head and each slot's contents until it publishes them (release); the
// receiver owns tail. Each counter sits on its own cache line so the two sides do not false-share.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "transports/transport.h"

namespace chorus::shm {

struct alignas(64) FifoControl {
  std::atomic<uint64_t> head;
  char pad0[64 - sizeof(std::atomic<uint64_t>)];
  std::atomic<uint64_t> tail;
  char pad1[64 - sizeof(std::atomic<uint64_t>)];
};
static_assert(sizeof(FifoControl) == 128);
static_assert(std::atomic<uint64_t>::is_always_lock_free, "shm FIFOs need lock-free 64-bit atomics");

struct alignas(64) SlotHeader {
  uint64_t tag;
  uint64_t msg_bytes;
  uint64_t len;  // data bytes in this slot
  char pad[40];
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
  uint64_t head_ = 0;         // our copy: only we write head
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
  uint64_t head_cached_ = 0;
  uint64_t consumed_ = 0;  // bytes of the current slot already released
};

}  // namespace chorus::shm
