// The near/far verdict the FIFO writer keeps about its receiver's core (transports/shm/
// peer_distance.h): it needs a window of samples, follows a clear majority, ignores a few odd
// ones, and its clock calibrates against steady_clock.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "transports/shm/peer_distance.h"

namespace chorus::shm {
namespace {

constexpr uint64_t kFar = 1000;  // the boundary, in ticks, for these tests

TEST(PeerDistance, NearUntilAClearMajorityOfSlowLoads) {
  PeerDistance d;
  EXPECT_FALSE(d.far());
  for (int i = 0; i < 7; ++i) d.Sample(5000, kFar);
  EXPECT_FALSE(d.far()) << "seven samples are too few for a verdict";
  d.Sample(5000, kFar);
  EXPECT_TRUE(d.far());
}

TEST(PeerDistance, UncalibratedSamplesAreDropped) {
  PeerDistance d;
  for (int i = 0; i < 64; ++i) d.Sample(5000, 0);
  EXPECT_FALSE(d.far());
}

TEST(PeerDistance, AFewOddLoadsDoNotFlipTheVerdict) {
  PeerDistance d;
  for (int i = 0; i < 32; ++i) d.Sample(100, kFar);
  // Slow loads short of three quarters of the window (here 18 of 32: an interrupt, a descheduled
  // peer) leave it near.
  for (int i = 0; i < 23; ++i) d.Sample(i % 4 == 3 ? 100 : 5000, kFar);
  EXPECT_FALSE(d.far());
  for (int i = 0; i < 32; ++i) d.Sample(5000, kFar);
  EXPECT_TRUE(d.far());
  // Back to near only once at most a quarter of the window is slow.
  for (int i = 0; i < 20; ++i) d.Sample(100, kFar);
  EXPECT_TRUE(d.far()) << "12 slow of 32";
  for (int i = 0; i < 4; ++i) d.Sample(100, kFar);
  EXPECT_FALSE(d.far()) << "8 slow of 32";
}

TEST(PeerDistance, TicksCalibrateAgainstTheSteadyClock) {
  // Zero until a few milliseconds have passed since the first call, then a rate that agrees with
  // ReadTicks over a measured interval.
  uint64_t far = TicksIn(kFarLoadNs);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (far == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    far = TicksIn(kFarLoadNs);
  }
  ASSERT_GT(far, 0u);
  const auto t0 = std::chrono::steady_clock::now();
  const uint64_t k0 = ReadTicks();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const uint64_t k1 = ReadTicks();
  const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
  const double measured = static_cast<double>(k1 - k0) / ns * 1e6;  // ticks per millisecond
  const double calibrated = static_cast<double>(TicksIn(1'000'000));
  EXPECT_NEAR(calibrated / measured, 1.0, 0.2) << calibrated << " vs " << measured << " ticks per ms";
}

}  // namespace
}  // namespace chorus::shm
