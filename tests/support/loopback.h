// One rank's connections to itself over one shared-memory FIFO (one channel): the smallest case in
// which the host engine has a send and a receive pending together, with no second rank to start.
#pragma once

#include <cstdlib>
#include <memory>
#include <string>

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

}  // namespace chorus::testing
