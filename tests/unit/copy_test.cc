// host::Copy with streaming stores against memcpy: every head and tail alignment, sizes around
// the streaming cut-over and the vector widths, and a reduction written both ways.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <utility>
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

// A pop paired with a push (host::CopyPair): both copies exact, lengths equal or not, around the
// paired loop's 4 KiB cut-over, misaligned, the first streamed or not; nothing outside either.
TEST(HostCopy, PairedCopiesEqualTwoCopies) {
  const std::vector<std::pair<size_t, size_t>> lengths = {{0, 0}, {100, 7}, {4096, 4096}, {4095, 9000},
                                                          {65536 + 3, 65536}, {70000, 131072 + 61}};
  for (Store store : {Store::kCached, Store::kStreamed}) {
    for (auto [n1, n2] : lengths) {
      for (size_t off : {0, 3, 33}) {
        const auto s1 = Random(n1 + 64, static_cast<uint32_t>(n1 + off));
        const auto s2 = Random(n2 + 64, static_cast<uint32_t>(n2 * 3 + off));
        std::vector<uint8_t> d1(n1 + 128, 0xAB), d2(n2 + 128, 0xCD);
        CopyPair(d1.data() + 64 + off, s1.data() + off, n1, store, d2.data() + 64, s2.data() + 1, n2);
        EXPECT_EQ(memcmp(d1.data() + 64 + off, s1.data() + off, n1), 0) << n1 << "/" << n2 << " off " << off;
        EXPECT_EQ(memcmp(d2.data() + 64, s2.data() + 1, n2), 0) << n1 << "/" << n2 << " off " << off;
        for (size_t i = 0; i < 64 + off; ++i) ASSERT_EQ(d1[i], 0xAB) << "before d1";
        for (size_t i = 64 + off + n1; i < d1.size(); ++i) ASSERT_EQ(d1[i], 0xAB) << "after d1";
        for (size_t i = 0; i < 64; ++i) ASSERT_EQ(d2[i], 0xCD) << "before d2";
        for (size_t i = 64 + n2; i < d2.size(); ++i) ASSERT_EQ(d2[i], 0xCD) << "after d2";
      }
    }
  }
}

}  // namespace
}  // namespace chorus::host
