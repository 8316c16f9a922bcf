// Every collective against a serial reference, with real ranks (processes and threads): sampled
// pairwise over data types x ops x sizes x in-place x alignment for each rank count, with a fixed
// seed. A failure names the whole case.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <tuple>
#include <vector>

#include "algorithms/registry.h"
#include "chorus/chorus.h"
#include "support/collective_case.h"
#include "support/reference.h"
#include "support/test_support.h"

namespace chorus::testing {
namespace {

// The sampled sweep for one (collective, rank count): every data type x op, with the size,
// in-place, root and alignment rotating so that every pair of them meets across the sweep.
std::vector<Case> Sweep(Collective coll, int nranks) {
  std::vector<Case> cases;
  const int nops = Reduces(coll) ? kNumReduceOps : 1;
  int k = nranks;
  for (int t = 0; t < kNumDataTypes; ++t) {
    for (int o = 0; o < nops; ++o, ++k) {
      auto type = static_cast<DataType>(t);
      const size_t mib_plus_3 = (1u << 20) / SizeOf(type) + 3;
      const size_t sizes[] = {0, 1, 17, mib_plus_3};
      Case c;
      c.coll = coll;
      c.type = type;
      c.op = Reduces(coll) ? static_cast<ReduceOp>(o) : ReduceOp::kSum;
      c.count = sizes[(t + 2 * o + nranks) % 4];
      // The MiB case for all-to-all and all-gather grows with nranks: keep it to every other type.
      if (c.count == mib_plus_3 && (coll == Collective::kAllToAll || coll == Collective::kAllGather) && t % 2) c.count = 33;
      c.in_place = ((t + o) / 2 + nranks) % 2 == 1;
      c.root = (t + o) % nranks;
      c.misalign = (t + o + nranks) % 3 == 0 ? 1 : 0;
      c.seed = 1000 + static_cast<uint64_t>(k);
      cases.push_back(c);
    }
  }
  return cases;
}

// (collective, ranks, mode, algorithm): "auto" lets the tuner choose; every other applicable
// algorithm is forced through CHORUS_ALGO, so each one runs for real, not only in the verifier.
using Param = std::tuple<Collective, int, RankMode, std::string>;

std::vector<Param> AllParams() {
  std::vector<Param> params;
  for (Collective coll : {Collective::kAllReduce, Collective::kAllGather, Collective::kReduceScatter,
                          Collective::kAllToAll, Collective::kBroadcast, Collective::kReduce}) {
    for (int n : {1, 2, 3, 4, 7, 8}) {
      params.emplace_back(coll, n, RankMode::kProcesses, "auto");
      params.emplace_back(coll, n, RankMode::kThreads, "auto");
      sched::CollArgs args;
      args.coll = coll;
      args.nranks = n;
      args.count = 1024;
      // CHORUS_TEST_QUICK (the sanitizer runs): the tuner's choice only.
      if (getenv("CHORUS_TEST_QUICK") != nullptr) continue;
      for (const sched::Algorithm* a : sched::ApplicableAlgorithms(args)) {
        // Forced algorithms run as processes (threads share the code paths above).
        params.emplace_back(coll, n, RankMode::kProcesses, a->name);
      }
    }
  }
  return params;
}

class CollectivesTest : public ::testing::TestWithParam<Param> {};

TEST_P(CollectivesTest, MatchesSerialReference) {
  auto [coll, nranks, mode, algo] = GetParam();
  if (algo == "auto") {
    unsetenv("CHORUS_ALGO");
  } else {
    setenv("CHORUS_ALGO", algo.c_str(), 1);
  }
  std::vector<Case> cases = Sweep(coll, nranks);
  std::string err = RunRanks(nranks, mode, [&](int rank, int n, const chorusUniqueId& id) -> std::string {
    chorusComm_t comm = nullptr;
    chorusResult_t r = chorusCommInitRank(&comm, n, id, rank, nullptr);
    if (r != chorusSuccess) return std::string("init: ") + chorusGetLastError(nullptr);
    std::string failures;
    for (const Case& c : cases) {
      std::string e = RunCase(comm, rank, n, c);
      if (!e.empty()) { failures = e + " [algorithm " + algo + "]"; break; }
    }
    chorusCommDestroy(comm);
    return failures;
  });
  unsetenv("CHORUS_ALGO");
  EXPECT_EQ(err, "");
}

std::string ParamName(const ::testing::TestParamInfo<Param>& info) {
  return std::string(Name(std::get<0>(info.param))) + "_" + std::to_string(std::get<1>(info.param)) + "ranks_" +
         Name(std::get<2>(info.param)) + "_" + std::get<3>(info.param);
}

INSTANTIATE_TEST_SUITE_P(Sweep, CollectivesTest, ::testing::ValuesIn(AllParams()), ParamName);

// The 64 MiB subset: the largest size of the sweep, for the bandwidth collectives.
TEST(CollectivesLarge, SixtyFourMiB) {
  for (Collective coll : {Collective::kAllReduce, Collective::kReduceScatter, Collective::kAllGather}) {
    for (bool in_place : {false, true}) {
      Case c{coll, DataType::kFloat32, ReduceOp::kSum, 0, in_place, 0, 0, 77};
      const int nranks = 4;
      c.count = (64u << 20) / 4 / (coll == Collective::kAllReduce ? 1 : nranks);
      std::string err = RunRanks(nranks, RankMode::kProcesses, [&](int rank, int n, const chorusUniqueId& id) -> std::string {
        chorusComm_t comm = nullptr;
        if (chorusCommInitRank(&comm, n, id, rank, nullptr) != chorusSuccess) return chorusGetLastError(nullptr);
        std::string e = RunCase(comm, rank, n, c);
        chorusCommDestroy(comm);
        return e;
      });
      EXPECT_EQ(err, "") << Describe(c, nranks);
    }
  }
}

// Element counts beyond 2^31 (size_t all the way down): 2 ranks, uint8 sum, in place.
TEST(CollectivesLarge, CountBeyondTwoToThe31) {
  const size_t count = (size_t{1} << 31) + 7;
  std::string err = RunRanks(2, RankMode::kThreads, [&](int rank, int n, const chorusUniqueId& id) -> std::string {
    chorusComm_t comm = nullptr;
    if (chorusCommInitRank(&comm, n, id, rank, nullptr) != chorusSuccess) return chorusGetLastError(nullptr);
    std::vector<uint8_t> buf(count);
    for (size_t i = 0; i < count; ++i) buf[i] = static_cast<uint8_t>(i * 7 + rank);
    chorusResult_t r = chorusAllReduce(buf.data(), buf.data(), count, chorusUint8, chorusSum, comm, nullptr);
    std::string e;
    if (r != chorusSuccess) e = chorusGetLastError(comm);
    for (size_t i = 0; e.empty() && i < count; ++i) {
      if (buf[i] != static_cast<uint8_t>(2 * (i * 7) + 1)) e = "wrong value at element " + std::to_string(i);
    }
    chorusCommDestroy(comm);
    return e;
  }, 600);
  EXPECT_EQ(err, "");
}

}  // namespace
}  // namespace chorus::testing
