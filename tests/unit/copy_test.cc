// host::Copy with streaming stores against memcpy: every head and tail alignment, sizes around
// the streaming cut-over and the vector widths, and a reduction written both ways.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "device/host/copy.h"
#include "device/host/reduce.h"

namespace chorus::host {
namespace {

std::vector<uint8_t> Random(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(gen());
  return v;
}

TEST(HostCopy, StreamedEqualsMemcpyAtEveryAlignment) {
  const std::vector<size_t> sizes = {0, 1, 63, 64, 65, 4095, 4096, 4097, 8191, 65536 + 31, (size_t{1} << 20) + 13};
  for (Store store : {Store::kCached, Store::kStreamed}) {
    for (size_t n : sizes) {
      for (size_t dst_off : {0, 1, 17, 63}) {
        for (size_t src_off : {0, 5, 32}) {
          const auto src = Random(n + 64, static_cast<uint32_t>(n * 131 + dst_off * 7 + src_off));
          // Guard bytes around the destination catch writes outside it.
          std::vector<uint8_t> dst(n + 128, 0xA5);
          Copy(dst.data() + dst_off, src.data() + src_off, n, store);
          ASSERT_EQ(std::memcmp(dst.data() + dst_off, src.data() + src_off, n), 0)
              << "n=" << n << " dst_off=" << dst_off << " src_off=" << src_off;
          for (size_t i = 0; i < dst_off; ++i) ASSERT_EQ(dst[i], 0xA5) << "wrote before dst, n=" << n;
          for (size_t i = dst_off + n; i < dst.size(); ++i) ASSERT_EQ(dst[i], 0xA5) << "wrote past dst, n=" << n;
        }
      }
    }
  }
}

TEST(HostCopy, StreamedReductionEqualsCached) {
  const size_t count = (size_t{1} << 18) + 7;
  std::vector<float> a(count), b(count), cached(count + 1), streamed(count + 1);
  std::mt19937 gen(5);
  std::uniform_real_distribution<float> u(-1, 1);
  for (size_t i = 0; i < count; ++i) { a[i] = u(gen); b[i] = u(gen); }
  Reduce(cached.data() + 1, a.data(), b.data(), count, DataType::kFloat32, ReduceOp::kSum, Store::kCached);
  Reduce(streamed.data() + 1, a.data(), b.data(), count, DataType::kFloat32, ReduceOp::kSum, Store::kStreamed);
  EXPECT_EQ(std::memcmp(cached.data(), streamed.data(), streamed.size() * sizeof(float)), 0);
  EXPECT_EQ(cached[1], a[0] + b[0]);
}

}  // namespace
}  // namespace chorus::host
