// chorus-bench's "cpu round trip" header line: a figure in nanoseconds between two named CPUs, or
// n/a with the reason; the caller's affinity is left as it was.
#if __has_include("chorus-bench/round_trip.h")
#include "chorus-bench/round_trip.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>

#include <regex>
#include <string>

namespace chorus::bench {
namespace {

cpu_set_t ThreadMask() {
  cpu_set_t m;
  CPU_ZERO(&m);
  pthread_getaffinity_np(pthread_self(), sizeof(m), &m);
  return m;
}

TEST(BenchRoundTrip, NanosecondsBetweenTwoCpusOrWhyNot) {
  const cpu_set_t before = ThreadMask();
  const std::string r = CpuRoundTrip();
  if (CPU_COUNT(&before) >= 2) {
    EXPECT_TRUE(std::regex_match(r, std::regex("[0-9]+ ns \\(CPUs [0-9]+ and [0-9]+\\)")) ||
                r.rfind("n/a (", 0) == 0)
        << r;
  } else {
    EXPECT_EQ(r, "n/a (one CPU)");
  }
  const cpu_set_t after = ThreadMask();
  EXPECT_TRUE(CPU_EQUAL(&before, &after)) << "the caller's affinity changed";
}

TEST(BenchRoundTrip, OneCpuIsNotMeasured) {
  const cpu_set_t before = ThreadMask();
  int first = -1;
  for (int c = 0; c < CPU_SETSIZE && first < 0; ++c) {
    if (CPU_ISSET(c, &before)) first = c;
  }
  ASSERT_GE(first, 0);
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  ASSERT_EQ(pthread_setaffinity_np(pthread_self(), sizeof(one), &one), 0);
  EXPECT_EQ(CpuRoundTrip(), "n/a (one CPU)");
  pthread_setaffinity_np(pthread_self(), sizeof(before), &before);
}

}  // namespace
}  // namespace chorus::bench
#else
#include <gtest/gtest.h>
TEST(BenchRoundTrip, NotBuilt) { GTEST_SKIP() << "chorus-bench is not built (CLI11 or nlohmann-json missing)"; }
#endif
