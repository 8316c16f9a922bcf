// --baseline floor: the bytes each rank's call reads and writes, and the copy that moves exactly
// those bytes (bench/chorus-bench/floor_backend.h).
#if __has_include("chorus-bench/floor_backend.h")
#include "chorus-bench/floor_backend.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <vector>

#include "chorus-bench/cases.h"

namespace chorus::bench {
namespace {

Case OneCase(Coll coll, std::size_t bytes, int nranks, int root = 0) {
  return MakeCases(coll, {DType::kFloat32}, {Op::kSum}, root, {bytes}, nranks).at(0);
}

TEST(BenchFloor, TrafficIsWhatTheCallReadsAndWrites) {
  const int n = 4;
  const std::size_t bytes = 4096;  // the size column: per-rank output of all-reduce, ...
  const Case ar = OneCase(Coll::kAllReduce, bytes, n);
  EXPECT_EQ(FloorTrafficOf(ar, 1, n).read, ar.shape.count * 4);
  EXPECT_EQ(FloorTrafficOf(ar, 1, n).write, ar.shape.count * 4);
  const Case ag = OneCase(Coll::kAllGather, bytes, n);
  EXPECT_EQ(FloorTrafficOf(ag, 0, n).write, FloorTrafficOf(ag, 0, n).read * n);
  const Case rs = OneCase(Coll::kReduceScatter, bytes, n);
  EXPECT_EQ(FloorTrafficOf(rs, 0, n).read, FloorTrafficOf(rs, 0, n).write * n);
  const Case a2a = OneCase(Coll::kAllToAll, bytes, n);
  EXPECT_EQ(FloorTrafficOf(a2a, 2, n).read, FloorTrafficOf(a2a, 2, n).write);
  const Case bc = OneCase(Coll::kBroadcast, bytes, n, /*root=*/2);
  EXPECT_EQ(FloorTrafficOf(bc, 2, n).read, bc.shape.count * 4);
  EXPECT_EQ(FloorTrafficOf(bc, 1, n).read, 0u);  // only receives
  EXPECT_EQ(FloorTrafficOf(bc, 1, n).write, bc.shape.count * 4);
  const Case red = OneCase(Coll::kReduce, bytes, n, /*root=*/3);
  EXPECT_EQ(FloorTrafficOf(red, 0, n).write, 0u);  // only sends
  EXPECT_EQ(FloorTrafficOf(red, 3, n).write, red.shape.count * 4);
}

// Every byte of the output written (with the input's bytes, repeated when the output is larger),
// nothing past it, for both copies and odd lengths and alignments.
TEST(BenchFloor, CopyWritesTheWholeOutputAndNothingElse) {
  for (bool streaming : {false, true}) {
    for (std::size_t read : {std::size_t{0}, std::size_t{1}, std::size_t{63}, std::size_t{64}, std::size_t{1000},
                             std::size_t{4099}}) {
      for (std::size_t write : {std::size_t{0}, std::size_t{7}, std::size_t{64}, std::size_t{1000}, std::size_t{12301}}) {
        for (std::size_t shift : {std::size_t{0}, std::size_t{3}}) {
          std::vector<unsigned char> in(read + 1), out(write + 2 * 64 + shift, 0xEE);
          std::iota(in.begin(), in.end(), static_cast<unsigned char>(1));
          unsigned char* dst = out.data() + 64 + shift;
          FloorCopy(dst, write, in.data(), read, streaming);
          for (std::size_t i = 0; i < write; ++i) {
            const unsigned char want = read == 0 ? 0 : in[i % read];
            ASSERT_EQ(dst[i], want) << "streaming " << streaming << " read " << read << " write " << write << " at " << i;
          }
          for (std::size_t i = 0; i < 64 + shift; ++i) ASSERT_EQ(out[i], 0xEE) << "before the output";
          for (std::size_t i = 64 + shift + write; i < out.size(); ++i) ASSERT_EQ(out[i], 0xEE) << "past the output";
        }
      }
    }
  }
}

// The serial floor copies at this rank's turn only, between the barrier that opens its turn and
// the next one; the concurrent floor copies, then waits for the others.
class RecordingBackend : public Backend {
 public:
  RecordingBackend(int rank, int nranks, const unsigned char* watched) : rank_(rank), nranks_(nranks), watched_(watched) {}
  int rank() const override { return rank_; }
  int nranks() const override { return nranks_; }
  std::string version() const override { return "recording"; }
  CallStatus Supports(const Case&, bool) const override { return CallStatus::Ok(); }
  CallStatus Run(const Case&, const CallBuffers&) override { return CallStatus::Error("not a collective"); }
  CallStatus Barrier() override {
    written_at_barrier.push_back(*watched_ != 0xEE);
    return CallStatus::Ok();
  }
  CallStatus AllGather(const double*, int, double*) override { return CallStatus::Ok(); }
  std::vector<bool> written_at_barrier;

 private:
  int rank_, nranks_;
  const unsigned char* watched_;
};

TEST(BenchFloor, SerialFloorCopiesInItsRanksTurn) {
  const Case c = OneCase(Coll::kAllReduce, 1 << 16, 3);
  std::vector<unsigned char> in(1 << 16, 1), out(1 << 16, 0xEE);
  for (bool serial : {false, true}) {
    std::fill(out.begin(), out.end(), 0xEE);
    RecordingBackend inner(/*rank=*/1, /*nranks=*/3, out.data());
    FloorBackend floor(inner, serial);
    ASSERT_FALSE(floor.ProducesResults());
    ASSERT_TRUE(floor.Run(c, CallBuffers{in.data(), out.data()}).ok());  // first call: times both copies
    // Serial: the timing copies too run in the rank's turn, alone.
    const std::vector<bool> first = inner.written_at_barrier;
    EXPECT_EQ(first, serial ? (std::vector<bool>{false, false, true, true}) : (std::vector<bool>{true}));
    std::fill(out.begin(), out.end(), 0xEE);
    inner.written_at_barrier.clear();
    ASSERT_TRUE(floor.Run(c, CallBuffers{in.data(), out.data()}).ok());
    EXPECT_EQ(out[0], 1);
    EXPECT_EQ(out.back(), 1);
    if (serial) {
      // Turns of ranks 0, 1, 2, then the closing barrier: written after rank 1's turn opened.
      EXPECT_EQ(inner.written_at_barrier, (std::vector<bool>{false, false, true, true}));
    } else {
      // One barrier after the copy: a call lasts until every rank is done.
      EXPECT_EQ(inner.written_at_barrier, (std::vector<bool>{true}));
    }
  }
}

}  // namespace
}  // namespace chorus::bench
#else
#include <gtest/gtest.h>
TEST(BenchFloor, NotBuilt) { GTEST_SKIP() << "chorus-bench is not built (CLI11 or nlohmann-json missing)"; }
#endif
