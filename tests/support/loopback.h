// One rank's connections to itself over one shared-memory FIFO (one channel): the smallest case in
// which the host engine has a send and a receive pending together, with no second rank to start.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "algorithms/schedule.h"
#include "transports/shm/fifo.h"
#include "transports/transport.h"

namespace chorus::testing {

class Loopback : public transport::Connections {
 public:
  Loopback(const shm::FifoGeometry& g, shm::PushStores push);
  int channels() const override { return 1; }
  transport::SendQueue* send_queue(Rank, int) override { return &writer_; }
  transport::RecvQueue* recv_queue(Rank, int) override { return &reader_; }
  Status PeerStatus(Rank) override { return Status::Ok(); }
  bool PeerDead(Rank) override { return false; }
  bool PeerFailed(Rank) override { return false; }
  void DeclareFailed(const std::string&) override {}
  void PostMailbox(uint64_t, const void*, size_t) override {}
  bool ReadMailbox(Rank, uint64_t, void*, size_t) override { return false; }
  shm::FifoWriter* writer() { return &writer_; }
  shm::FifoReader* reader() { return &reader_; }

 private:
  struct Free {
    void operator()(char* p) const { std::free(p); }
  };
  std::unique_ptr<char, Free> memory_;
  shm::FifoWriter writer_;
  shm::FifoReader reader_;
};

// One-channel programs on a loopback, addressing memory absolutely (a Slice's offset is an
// address; elements are bytes).
sched::Slice AbsoluteSlice(const void* p, size_t n);
sched::Step SendStep(const void* p, size_t n);
// op is one of the receives; src is the operand of a reduction (unused otherwise).
sched::Step RecvStep(sched::OpCode op, const void* src, void* dst, size_t n);
sched::Step CopyStep(const void* src, void* dst, size_t n);

struct LoopbackOutcome {
  Status status;
  uint64_t straight = 0;  // calls the engine finished on the straight path
  uint64_t ridden = 0;    // copies done by a pending send of the same bytes
};
// Runs `steps` as rank 0 of one rank (every peer is 0) over `conns`, bytes as uint8 sums.
LoopbackOutcome RunOnLoopback(Loopback* conns, std::vector<sched::Step> steps, int64_t timeout_ms = 20000,
                              uint64_t spin_us = 200);

std::vector<unsigned char> RandomBytes(size_t n, uint64_t seed);

}  // namespace chorus::testing
