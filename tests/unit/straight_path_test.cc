// The host engine's straight path (exec/host_engine.cc, RunStraight): a small call runs its steps in
// order, each finished at once, and leaves whatever cannot finish so to the progress loop. One rank
// over a FIFO to itself (tests/support/loopback.h): which calls finish straight, that the hand-over
// keeps every byte, and that errors and timeouts on the straight path are the progress loop's.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "exec/host_engine.h"
#include "support/loopback.h"
#include "support/test_support.h"

namespace chorus::exec {
namespace {

using sched::OpCode;
using sched::Step;
using testing::Loopback;

using testing::RandomBytes;
using testing::RecvStep;
using testing::RunOnLoopback;
using testing::SendStep;

TEST(StraightPath, SmallExchangesFinishOnIt) {
  // Inline pieces (<= 32 bytes), a piece in the slot's body, a whole slot; with and without
  // polling (ranks outnumbering cores do not poll).
  for (uint64_t spin_us : {uint64_t{200}, uint64_t{0}}) {
    testing::Loopback conns(shm::FifoGeometry{4, 8192}, shm::PushStores::kAuto);
    for (size_t n : {size_t{1}, size_t{8}, size_t{32}, size_t{33}, size_t{8192}}) {
      const auto src = RandomBytes(n, n);
      std::vector<unsigned char> dst(n, 0);
      const auto r = RunOnLoopback(&conns, {SendStep(src.data(), n), RecvStep(OpCode::kRecv, nullptr, dst.data(), n)}, 20000, spin_us);
      ASSERT_TRUE(r.status.ok()) << r.status.message();
      EXPECT_EQ(dst, src) << n << " bytes";
      EXPECT_EQ(r.straight, 1u) << n << " bytes, spin " << spin_us;
    }
  }
}

TEST(StraightPath, ReducesAndForwardsOnIt) {
  // send a; b = a + mine, forwarded to ourselves; c = what was forwarded. (Bytes: the programs here
  // address memory absolutely, where offsets count elements of one byte.)
  testing::Loopback conns(shm::FifoGeometry{4, 8192}, shm::PushStores::kAuto);
  std::vector<unsigned char> a = {1, 2, 250}, mine = {10, 20, 10}, b(3, 0), c(3, 0);
  Step fused = RecvStep(OpCode::kRecvReduceSend, mine.data(), b.data(), a.size());
  fused.send_peer = 0;
  const auto r = RunOnLoopback(&conns, {SendStep(a.data(), a.size()), fused, RecvStep(OpCode::kRecv, nullptr, c.data(), c.size())});
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.straight, 1u);
  EXPECT_EQ(b, (std::vector<unsigned char>{11, 22, 4}));
  EXPECT_EQ(c, b);
}

TEST(StraightPath, HandsOverWhatCannotFinishAtOnceAndKeepsEveryByte) {
  // Larger than the FIFO (the send is taken in part and left pending), and a message that fills
  // slots in pieces: both finish in the progress loop, intact.
  testing::Loopback conns(shm::FifoGeometry{4, 8192}, shm::PushStores::kAuto);
  for (size_t n : {size_t{8192 * 4 + 100}, size_t{1} << 20, size_t{8193}}) {
    const auto src = RandomBytes(n, n + 1);
    std::vector<unsigned char> dst(n, 0);
    const auto r = RunOnLoopback(&conns, {SendStep(src.data(), n), RecvStep(OpCode::kRecv, nullptr, dst.data(), n)});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(dst, src) << n << " bytes";
    EXPECT_EQ(r.straight, 0u) << n << " bytes";
  }
}

TEST(StraightPath, HandsOverMidProgram) {
  // The first send and nothing else finishes straight; the second is taken in part, so the loop
  // starts at the first receive with that send pending.
  testing::Loopback conns(shm::FifoGeometry{4, 8192}, shm::PushStores::kAuto);
  const size_t big = 8192 * 5 + 7;
  const auto small = RandomBytes(8, 5), large = RandomBytes(big, 6);
  std::vector<unsigned char> got_small(8, 0), got_large(big, 0);
  const auto r = RunOnLoopback(&conns, {SendStep(small.data(), 8), SendStep(large.data(), big),
                                     RecvStep(OpCode::kRecv, nullptr, got_small.data(), 8),
                                     RecvStep(OpCode::kRecv, nullptr, got_large.data(), big)});
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(got_small, small);
  EXPECT_EQ(got_large, large);
  EXPECT_EQ(r.straight, 0u);
}

TEST(StraightPath, AMismatchedMessageIsTheSameError) {
  testing::Loopback conns(shm::FifoGeometry{4, 8192}, shm::PushStores::kAuto);
  const auto src = RandomBytes(8, 3);
  std::vector<unsigned char> dst(16, 0);
  const auto r = RunOnLoopback(&conns, {SendStep(src.data(), 8), RecvStep(OpCode::kRecv, nullptr, dst.data(), 16)});
  EXPECT_EQ(r.status.code(), chorusInvalidUsage);
  EXPECT_NE(r.status.message().find("expected a 16-byte message"), std::string::npos) << r.status.message();
}

TEST(StraightPath, AMessageThatNeverComesTimesOut) {
  // The straight path polls a bounded number of times, then the progress loop waits, watching the
  // clock: a clear timeout, not a hang.
  testing::Loopback conns(shm::FifoGeometry{4, 8192}, shm::PushStores::kAuto);
  std::vector<unsigned char> dst(8, 0);
  const auto r = RunOnLoopback(&conns, {RecvStep(OpCode::kRecv, nullptr, dst.data(), 8)}, 50);
  EXPECT_EQ(r.status.code(), chorusTimeout) << r.status.message();
  EXPECT_NE(r.status.message().find("receiving from rank 0"), std::string::npos) << r.status.message();
  EXPECT_EQ(r.straight, 0u);
}

}  // namespace
}  // namespace chorus::exec
