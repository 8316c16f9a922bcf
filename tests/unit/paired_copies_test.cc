// Paired copies in the host engine: a received piece is copied out in the same loop as the next
// piece of a pending send pushed, when the send's queue asks for it (SendQueue::PairsCopies; the
// shm FIFO does while the receiver's core is near, or always with CHORUS_SHM_PUSH=paired). One
// rank exchanges a message with itself over one FIFO, the smallest case where a receive and a
// send are pending together; wrappers around the FIFO's two ends count the pushes published
// between a peek and its consume, which only a paired copy does.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "exec/host_engine.h"
#include "support/loopback.h"
#include "support/test_support.h"
#include "transports/shm/fifo.h"

namespace chorus::exec {
namespace {

using transport::MessageHeader;

struct Counts {
  bool peeked = false;        // a peek returned data not yet consumed
  int commits_in_peek = 0;    // pushes published while it was held: paired copies
  int commits = 0;
};

class CountingSend final : public transport::SendQueue {
 public:
  CountingSend(shm::FifoWriter* w, Counts* c) : w_(w), c_(c) {}
  Status TryPush(const MessageHeader& h, const void* d, Bytes n, Bytes* taken) override { return w_->TryPush(h, d, n, taken); }
  bool PairsCopies(Bytes msg_bytes) const override { return w_->PairsCopies(msg_bytes); }
  Status TryReserve(const MessageHeader& h, Bytes n, void** dst, Bytes* room) override { return w_->TryReserve(h, n, dst, room); }
  void Commit(const MessageHeader& h, Bytes n) override {
    ++c_->commits;
    if (c_->peeked) ++c_->commits_in_peek;
    w_->Commit(h, n);
  }

 private:
  shm::FifoWriter* w_;
  Counts* c_;
};

class CountingRecv final : public transport::RecvQueue {
 public:
  CountingRecv(shm::FifoReader* r, Counts* c) : r_(r), c_(c) {}
  Status TryPeek(MessageHeader* h, const void** d, Bytes* n) override {
    Status st = r_->TryPeek(h, d, n);
    c_->peeked = st.ok() && *n > 0;
    return st;
  }
  void Consume(Bytes n) override {
    c_->peeked = false;
    r_->Consume(n);
  }
  Status ReadInto(void* dst, Bytes n, bool stream) override {
    c_->peeked = false;
    return r_->ReadInto(dst, n, stream);
  }

 private:
  shm::FifoReader* r_;
  Counts* c_;
};

// The loopback FIFO seen through the counting wrappers.
class Loopback final : public testing::Loopback {
 public:
  Loopback(const shm::FifoGeometry& g, shm::PushStores push)
      : testing::Loopback(g, push), send_(writer(), &counts), recv_(reader(), &counts) {}
  transport::SendQueue* send_queue(Rank, int) override { return &send_; }
  transport::RecvQueue* recv_queue(Rank, int) override { return &recv_; }
  Counts counts;

 private:
  CountingSend send_;
  CountingRecv recv_;
};

// Sends `n` bytes to itself and receives them, as a grouped send/recv batch does (absolute
// addresses); returns "" when the bytes arrived intact.
std::string SelfExchange(Loopback* conns, size_t n, bool stream) {
  std::vector<unsigned char> src(n + 3), dst(n + 3, 0);
  testing::Rng rng(n);
  for (auto& b : src) b = static_cast<unsigned char>(rng.Next());
  sched::RankProgram program;
  program.channels.resize(1);
  sched::Step send;
  send.op = sched::OpCode::kSend;
  send.peer = 0;
  send.src = sched::Slice{sched::Buffer::kInput, reinterpret_cast<uintptr_t>(src.data() + 3), n};
  sched::Step recv;
  recv.op = sched::OpCode::kRecv;
  recv.peer = 0;
  recv.dst = sched::Slice{sched::Buffer::kInput, reinterpret_cast<uintptr_t>(dst.data() + 1), n};
  recv.result_unread = stream;
  program.channels[0].steps = {send, recv};
  ExecBuffers buffers;
  ExecParams params;
  params.tag = 0x10;
  params.conns = conns;
  params.timeout_ms = 20000;
  params.stream_results = stream;
  Status st = Execute(program, buffers, params);
  if (!st.ok()) return st.message();
  if (memcmp(dst.data() + 1, src.data() + 3, n) != 0) return "wrong bytes";
  return "";
}

TEST(PairedCopies, ReceivesCarryThePendingSendsPieces) {
  for (bool stream : {false, true}) {
    Loopback conns(shm::FifoGeometry{4, 8192}, shm::PushStores::kPaired);
    // Many slots' worth, an odd tail shorter than a slot and one shorter than an inline piece.
    for (size_t n : {size_t{1} << 20, size_t{300007}, size_t{8192 * 9 + 5}}) {
      conns.counts = Counts{};
      EXPECT_EQ(SelfExchange(&conns, n, stream), "") << n << " bytes";
      EXPECT_GT(conns.counts.commits_in_peek, conns.counts.commits / 2) << n << " bytes: most pieces should be paired";
    }
  }
}

TEST(PairedCopies, NoneWhereTheQueueDoesNotAsk) {
  for (shm::PushStores push : {shm::PushStores::kCached, shm::PushStores::kStreamed}) {
    Loopback conns(shm::FifoGeometry{4, 8192}, push);
    EXPECT_EQ(SelfExchange(&conns, size_t{1} << 20, false), "");
    EXPECT_EQ(conns.counts.commits_in_peek, 0);
  }
}

TEST(PairedCopies, PiecesBelowFourKibAreNotPaired) {
  // Below a piece of kPairMinBytes (4 KiB) a paired loop has nothing to overlap: with 2 KiB slots
  // a 64 KiB message goes through reservations (the queue asks for pairing) but none is paired.
  Loopback conns(shm::FifoGeometry{4, 2048}, shm::PushStores::kPaired);
  EXPECT_EQ(SelfExchange(&conns, 64 * 1024, false), "");
  EXPECT_GT(conns.counts.commits, 0);
  EXPECT_EQ(conns.counts.commits_in_peek, 0);
}

}  // namespace
}  // namespace chorus::exec
