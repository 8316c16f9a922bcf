// A local copy riding along with a pending send of the same bytes (exec/host_engine.cc, RideAlong):
// each piece the send pushes is copied to the copy's destination while it is in cache. One rank
// over a FIFO to itself (tests/support/loopback.h): when a copy rides, that every byte arrives both
// ways, and that a later write into the copy's destination neither waits for the send (which may
// wait on that very step) nor is overwritten by the rest of the copy.
#include <gtest/gtest.h>

#include <vector>

#include "support/loopback.h"

namespace chorus::testing {
namespace {

using sched::OpCode;
using sched::Step;

// Larger than the FIFO (4 slots of 8 KiB), so the send is pending while the copy starts; not a
// multiple of a slot, so the last piece is short.
constexpr size_t kBytes = (size_t{1} << 20) + 13;

Step UnreadCopy(const void* src, void* dst, size_t n) {
  Step s = CopyStep(src, dst, n);
  s.result_unread = true;  // as MarkUnreadResults marks a result no later step reads
  return s;
}

TEST(RideAlong, TheSendCarriesTheCopyAndEveryByteArrives) {
  Loopback conns(shm::FifoGeometry{4, 8192}, shm::PushStores::kPaired);
  for (size_t n : {kBytes, size_t{8192 * 4 + 1}}) {
    const auto in = RandomBytes(n, n);
    std::vector<unsigned char> out(n, 0), got(n, 0);
    const LoopbackOutcome r = RunOnLoopback(&conns, {SendStep(in.data(), n), UnreadCopy(in.data(), out.data(), n),
                                                     RecvStep(OpCode::kRecv, nullptr, got.data(), n)});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.ridden, 1u) << n;
    EXPECT_EQ(out, in) << n;
    EXPECT_EQ(got, in) << n;
  }
}

TEST(RideAlong, OnlyWhereTheQueuePairsCopiesAndNothingReadsTheResult) {
  // Plain stores into the FIFO (what the auto mode does across dies): the copy goes on its own.
  // A copy whose result a later step reads is not marked unread: it must be whole before then.
  const auto in = RandomBytes(kBytes, 7);
  struct Case {
    shm::PushStores push;
    bool unread;
  };
  for (const Case c : {Case{shm::PushStores::kCached, true}, Case{shm::PushStores::kPaired, false}}) {
    Loopback conns(shm::FifoGeometry{4, 8192}, c.push);
    std::vector<unsigned char> out(kBytes, 0), got(kBytes, 0);
    const Step copy = c.unread ? UnreadCopy(in.data(), out.data(), kBytes) : CopyStep(in.data(), out.data(), kBytes);
    const LoopbackOutcome r =
        RunOnLoopback(&conns, {SendStep(in.data(), kBytes), copy, RecvStep(OpCode::kRecv, nullptr, got.data(), kBytes)});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.ridden, 0u) << "unread " << c.unread;
    EXPECT_EQ(out, in);
    EXPECT_EQ(got, in);
  }
}

TEST(RideAlong, ALaterWriteIntoTheCopyFinishesItFirst) {
  // send in; out = in (rides); out = mine + (what arrives: in). The reduction cannot wait for the
  // send to finish the copy (the send waits for this very receive to empty the FIFO): the copy is
  // finished at once, and the reduction's result is not overwritten by the rest of it.
  Loopback conns(shm::FifoGeometry{4, 8192}, shm::PushStores::kPaired);
  const auto in = RandomBytes(kBytes, 11), mine = RandomBytes(kBytes, 12);
  std::vector<unsigned char> out(kBytes, 0);
  const LoopbackOutcome r =
      RunOnLoopback(&conns, {SendStep(in.data(), kBytes), UnreadCopy(in.data(), out.data(), kBytes),
                             RecvStep(OpCode::kRecvReduce, mine.data(), out.data(), kBytes)},
                    /*timeout_ms=*/5000);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.ridden, 1u);
  std::vector<unsigned char> want(kBytes);
  for (size_t i = 0; i < kBytes; ++i) want[i] = static_cast<unsigned char>(mine[i] + in[i]);
  EXPECT_EQ(out, want);
}

}  // namespace
}  // namespace chorus::testing
