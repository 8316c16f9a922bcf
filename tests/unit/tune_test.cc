// The cost model (simulator) against closed-form alpha-beta figures, and the tuner's choices,
// CHORUS_ALGO handling and cache.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <vector>

#include "algorithms/emit.h"
#include "algorithms/registry.h"
#include "algorithms/verifier.h"
#include "tune/simulator.h"
#include "tune/tuner.h"
#include "support/sched_args.h"

namespace chorus::tune {
namespace {

using sched::CollArgs;
using sched::RankProgram;

constexpr double kAlpha = 2e-6, kBeta = 1e-9;  // 1 GB/s

// Independent links, no shared domain, no compute cost.
LinkModel PlainModel() {
  LinkModel m;
  m.name = "plain";
  m.link = [](Rank, Rank) { return LinkCost{kAlpha, kBeta}; };
  return m;
}

CollArgs Args(Collective coll, int n, Count count) { return chorus::testing::SchedArgs(coll, n, count); }

// For Choose: base.channels is the most channels the tuner may use.
CollArgs ChoiceArgs(Collective coll, int n, Count count) {
  CollArgs a = Args(coll, n, count);
  a.channels = 4;
  return a;
}

std::vector<RankProgram> Programs(const CollArgs& a) {
  std::vector<RankProgram> p(static_cast<size_t>(a.nranks));
  for (Rank r = 0; r < a.nranks; ++r) {
    p[r].rank = r;
    p[r].nranks = a.nranks;
    p[r].channels.resize(static_cast<size_t>(a.channels));
  }
  return p;
}

double Estimate(const char* algo, const CollArgs& a, const LinkModel& m) {
  SimResult r;
  Status st = EstimateAlgorithm(*sched::FindAlgorithm(algo), a, m, &r);
  EXPECT_TRUE(st.ok()) << st.message();
  return r.seconds;
}

TEST(Simulator, OneMessageCostsAlphaPlusBytesTimesBeta) {
  CollArgs a = Args(Collective::kAllGather, 2, 1000);
  auto p = Programs(a);
  sched::Emitter(&p[0].channels[0], 0).Send(1, sched::In(0, 1000));
  sched::Emitter(&p[1].channels[0], 0).Recv(0, sched::Out(0, 1000));
  SimResult r;
  ASSERT_TRUE(Simulate(a, p, PlainModel(), &r).ok());
  EXPECT_NEAR(r.seconds, kAlpha + 4000 * kBeta, 1e-12);
  EXPECT_EQ(r.messages, 1u);
}

TEST(Simulator, MessagesOnOneLinkShareItButSeparateLinksDoNot) {
  CollArgs a = Args(Collective::kAllGather, 3, 1000);
  a.channels = 2;
  // Rank 0 sends one message to rank 1 on each channel: one link, twice the bytes.
  auto same = Programs(a);
  for (int c = 0; c < 2; ++c) {
    sched::Emitter(&same[0].channels[c], 0).Send(1, sched::In(0, 1000));
    sched::Emitter(&same[1].channels[c], 0).Recv(0, sched::Out(0, 1000));
  }
  // Rank 0 sends to rank 1 and rank 2 sends to rank 1: two links.
  auto apart = Programs(a);
  sched::Emitter(&apart[0].channels[0], 0).Send(1, sched::In(0, 1000));
  sched::Emitter(&apart[1].channels[0], 0).Recv(0, sched::Out(0, 1000));
  sched::Emitter(&apart[2].channels[1], 0).Send(1, sched::In(0, 1000));
  sched::Emitter(&apart[1].channels[1], 0).Recv(2, sched::Out(0, 1000));
  LinkModel m = PlainModel();
  SimResult one, two;
  ASSERT_TRUE(Simulate(a, same, m, &one).ok());
  ASSERT_TRUE(Simulate(a, apart, m, &two).ok());
  EXPECT_NEAR(one.seconds, kAlpha + 8000 * kBeta, 1e-12);
  EXPECT_NEAR(two.seconds, kAlpha + 4000 * kBeta, 1e-12);
  // A domain shared by all ranks makes the two links contend as well.
  m.domain = [](Rank) { return 0; };
  m.domain_beta_s_per_byte = kBeta;
  ASSERT_TRUE(Simulate(a, apart, m, &two).ok());
  EXPECT_NEAR(two.seconds, kAlpha + 8000 * kBeta, 1e-12);
}

TEST(Simulator, ARanksSendsAndReceivesShareItsEndpoint) {
  // Rank 1 receives from rank 0 and sends to rank 2 at the same time: two links, one engine.
  CollArgs a = Args(Collective::kAllGather, 3, 1000);
  a.channels = 2;
  auto p = Programs(a);
  sched::Emitter(&p[0].channels[0], 0).Send(1, sched::In(0, 1000));
  sched::Emitter(&p[1].channels[0], 0).Recv(0, sched::Out(0, 1000));
  sched::Emitter(&p[1].channels[1], 0).Send(2, sched::In(0, 1000));
  sched::Emitter(&p[2].channels[1], 0).Recv(1, sched::Out(0, 1000));
  LinkModel m = PlainModel();
  SimResult r;
  ASSERT_TRUE(Simulate(a, p, m, &r).ok());
  EXPECT_NEAR(r.seconds, kAlpha + 4000 * kBeta, 1e-12);
  m.endpoint_beta_s_per_byte = kBeta / 2;  // room for both at full speed
  ASSERT_TRUE(Simulate(a, p, m, &r).ok());
  EXPECT_NEAR(r.seconds, kAlpha + 4000 * kBeta, 1e-12);
  m.endpoint_beta_s_per_byte = kBeta;  // room for one
  ASSERT_TRUE(Simulate(a, p, m, &r).ok());
  EXPECT_NEAR(r.seconds, kAlpha + 8000 * kBeta, 1e-12);
}

TEST(Simulator, ASharedLinkIsOneBandwidthForEveryPairCrossingIt) {
  // Ranks 0 and 1 send to ranks 2 and 3 at once over separate pair links; both pairs cross one
  // shared link (a NIC) when the model says so.
  CollArgs a = Args(Collective::kAllGather, 4, 1000);
  a.channels = 2;
  auto p = Programs(a);
  sched::Emitter(&p[0].channels[0], 0).Send(2, sched::In(0, 1000));
  sched::Emitter(&p[2].channels[0], 0).Recv(0, sched::Out(0, 1000));
  sched::Emitter(&p[1].channels[1], 0).Send(3, sched::In(0, 1000));
  sched::Emitter(&p[3].channels[1], 0).Recv(1, sched::Out(0, 1000));
  LinkModel m = PlainModel();
  SimResult r;
  ASSERT_TRUE(Simulate(a, p, m, &r).ok());
  EXPECT_NEAR(r.seconds, kAlpha + 4000 * kBeta, 1e-12);
  auto nic = std::make_shared<std::vector<int>>(std::vector<int>{0});
  m.shared_beta_s_per_byte = {kBeta};
  m.shared = [nic](Rank from, Rank to) -> const std::vector<int>* { return from < 2 && to >= 2 ? nic.get() : nullptr; };
  ASSERT_TRUE(Simulate(a, p, m, &r).ok());
  EXPECT_NEAR(r.seconds, kAlpha + 8000 * kBeta, 1e-12);
  // Twice as wide: room for both.
  m.shared_beta_s_per_byte = {kBeta / 2};
  ASSERT_TRUE(Simulate(a, p, m, &r).ok());
  EXPECT_NEAR(r.seconds, kAlpha + 4000 * kBeta, 1e-12);
  // The other direction is another resource: 2 -> 0 does not cross it.
  m.shared_beta_s_per_byte = {kBeta};
  auto back = Programs(a);
  sched::Emitter(&back[0].channels[0], 0).Send(2, sched::In(0, 1000));
  sched::Emitter(&back[2].channels[0], 0).Recv(0, sched::Out(0, 1000));
  sched::Emitter(&back[3].channels[1], 0).Send(1, sched::In(0, 1000));
  sched::Emitter(&back[1].channels[1], 0).Recv(3, sched::Out(0, 1000));
  ASSERT_TRUE(Simulate(a, back, m, &r).ok());
  EXPECT_NEAR(r.seconds, kAlpha + 4000 * kBeta, 1e-12);
}

TEST(Simulator, SwitchPortsArePerRankAndTheAggregateIsShared) {
  // A switch reduction of 64 MiB over 8 ranks: more channels do not add port bandwidth.
  CollArgs a = Args(Collective::kAllReduce, 8, 16 << 20);
  a.has_reducing_switch = true;
  LinkModel m = PlainModel();
  m.switch_alpha_s = 1e-6;
  m.switch_beta_s_per_byte = kBeta;
  const double bytes = 64.0 * (1 << 20);
  a.channels = 1;
  const double one = Estimate("switch_offload", a, m);
  EXPECT_NEAR(one, m.switch_alpha_s + bytes * kBeta, 1e-9);
  a.channels = 4;
  const double four = Estimate("switch_offload", a, m);
  EXPECT_NEAR(four, one, one * 0.01);
  // An aggregate of half the ports' sum halves the speed.
  m.switch_aggregate_beta_s_per_byte = 2 * kBeta / 8;
  EXPECT_NEAR(Estimate("switch_offload", a, m), 2 * (one - m.switch_alpha_s) + m.switch_alpha_s, one * 0.02);
}

TEST(Simulator, RingAllReduceMatchesTheAlphaBetaFormula) {
  for (int p : {2, 4, 8, 16}) {
    const Count count = 1 << 20;
    const double n = count * 4.0;
    double formula = 2 * (p - 1) * kAlpha + 2.0 * (p - 1) / p * n * kBeta;
    double est = Estimate("ring", Args(Collective::kAllReduce, p, count), PlainModel());
    EXPECT_NEAR(est / formula, 1.0, 0.05) << "p=" << p << " est " << est << " formula " << formula;
  }
}

TEST(Simulator, ChainBroadcastIsPipelinedByStreaming) {
  const int p = 8;
  const Count count = 4 << 20;  // 16 MiB
  const double n = count * 4.0;
  LinkModel m = PlainModel();
  double est = Estimate("chain", Args(Collective::kBroadcast, p, count), m);
  // Streaming: about one transfer of the data plus a piece per hop, far from (p-1) transfers.
  double pipelined = n * kBeta + (p - 2) * (kAlpha + m.pipeline_bytes * kBeta) + kAlpha;
  EXPECT_NEAR(est / pipelined, 1.0, 0.05) << est << " vs " << pipelined;
  EXPECT_LT(est, 0.3 * (p - 1) * n * kBeta);
}

// Shared cores (session 8): a fused forward waits for its whole message (store and forward), and
// every message waits a share of its own transfer time for its receiver to get a core.
TEST(Simulator, SharedCoresStoreAndForwardAndWaitForTheCore) {
  const int p = 4;
  const Count count = 1 << 20;  // 4 MiB
  const double n = count * 4.0;
  LinkModel cut = PlainModel();
  LinkModel store = cut;
  store.store_and_forward = true;
  CollArgs a = Args(Collective::kBroadcast, p, count);
  a.chunk_bytes = static_cast<Bytes>(n);  // one chunk: the hops cannot overlap by chunks
  const double streamed = Estimate("chain", a, cut);
  const double stored = Estimate("chain", a, store);
  // Cut through: about one transfer plus a piece per hop; stored: one whole transfer per hop.
  EXPECT_NEAR(streamed / (n * kBeta + (p - 2) * (kAlpha + cut.pipeline_bytes * kBeta) + kAlpha), 1.0, 0.05);
  EXPECT_NEAR(stored / ((p - 1) * (kAlpha + n * kBeta)), 1.0, 0.02) << stored;
  // One message: the wait adds share x bytes x beta (overlapping, so once).
  CollArgs one = Args(Collective::kAllGather, 2, 1000);
  auto progs = Programs(one);
  sched::Emitter(&progs[0].channels[0], 0).Send(1, sched::In(0, 1000));
  sched::Emitter(&progs[1].channels[0], 0).Recv(0, sched::Out(0, 1000));
  LinkModel wait = PlainModel();
  wait.core_wait_share = 0.5;
  SimResult r;
  ASSERT_TRUE(Simulate(one, progs, wait, &r).ok());
  EXPECT_NEAR(r.seconds, kAlpha + 1.5 * 4000 * kBeta, 1e-12);
  // ForSharedCores turns both on, keeping a share the caller set.
  LinkModel host = DefaultHostModel();
  ForSharedCores(&host, 2);
  EXPECT_TRUE(host.store_and_forward);
  EXPECT_GT(host.core_wait_share, 0);
  LinkModel given = DefaultHostModel();
  ASSERT_TRUE(ApplyHostModelOverrides(&given, "core_wait_share=0.3").ok());
  ForSharedCores(&given, 2);
  EXPECT_DOUBLE_EQ(given.core_wait_share, 0.3);
  LinkModel own = DefaultHostModel();
  ForSharedCores(&own, 1);
  EXPECT_FALSE(own.store_and_forward);
  EXPECT_EQ(own.core_wait_share, 0);
}

TEST(Simulator, ReductionCostStreamsWithTheData) {
  LinkModel m = PlainModel();
  const Count count = 1 << 20;
  double plain = Estimate("ring", Args(Collective::kAllReduce, 4, count), m);
  m.gamma_s_per_byte = kBeta / 2;  // reducing is faster than the link: mostly hidden
  double hidden = Estimate("ring", Args(Collective::kAllReduce, 4, count), m);
  m.gamma_s_per_byte = kBeta * 3;  // slower than the link: it becomes the bound of the RS half
  double bound = Estimate("ring", Args(Collective::kAllReduce, 4, count), m);
  EXPECT_LT(hidden, plain * 1.1);
  EXPECT_GT(bound, plain * 1.5);
}

TEST(Simulator, EveryGeneratorCompletesInTheModel) {
  LinkModel m = DefaultHostModel();
  const Collective colls[] = {Collective::kAllReduce, Collective::kAllGather,
                              Collective::kReduceScatter, Collective::kAllToAll,
                              Collective::kBroadcast, Collective::kReduce};
  int priced = 0;
  for (const auto& algo : sched::Algorithms()) {
    for (Collective coll : colls) {
      for (int n : {1, 2, 5, 8}) {
        for (int channels : {1, 2}) {
          CollArgs a = Args(coll, n, 10007);
          a.channels = channels;
          a.chunk_bytes = 4096;
          a.has_reducing_switch = true;
          a.ranks_per_node = n % 2 == 0 && n > 2 ? 2 : 0;
          if (!algo.applies(a)) continue;
          SimResult r;
          Status st = EstimateAlgorithm(algo, a, m, &r);
          ASSERT_TRUE(st.ok()) << algo.name << " " << Name(coll) << " n=" << n << ": " << st.message();
          EXPECT_GT(r.seconds, 0) << algo.name << " " << Name(coll) << " n=" << n;
          ++priced;
        }
      }
    }
  }
  EXPECT_GT(priced, 50);
}

TEST(Tuner, SmallMessagesPickFewLatenciesLargeOnesBandwidth) {
  LinkModel m = DefaultHostModel();
  Choice small, large;
  ASSERT_TRUE(Choose(ChoiceArgs(Collective::kAllReduce, 8, 2), m, AlgoOverride(), &small).ok());
  ASSERT_TRUE(Choose(ChoiceArgs(Collective::kAllReduce, 8, 16 << 20), m, AlgoOverride(), &large).ok());
  EXPECT_STREQ(small.algorithm->name, "recursive_doubling");
  // Large: a bandwidth-optimal algorithm (2(p-1)/p of the data per rank).
  std::string big = large.algorithm->name;
  EXPECT_TRUE(big == "ring" || big == "rabenseifner" || big == "two_shot") << big;
  EXPECT_FALSE(small.runner_up.empty());
  EXPECT_GE(small.runner_up_seconds, small.est_seconds);
  // The choice is the cheapest of every applicable algorithm at its default settings, priced for
  // the call's working set (8 ranks x 64 MiB in and out) as Choose prices it.
  const LinkModel w = ForWorkingSet(m, 8.0 * 2 * (64 << 20), 8);
  for (const sched::Algorithm* a : sched::ApplicableAlgorithms(large.args)) {
    CollArgs x = Args(Collective::kAllReduce, 8, 16 << 20);
    if (!a->applies(x)) continue;
    SimResult r;
    ASSERT_TRUE(EstimateAlgorithm(*a, x, w, &r).ok());
    EXPECT_LE(large.est_seconds, r.seconds * (1 + 1e-9)) << a->name;
  }
}

TEST(Tuner, CallsThatFitInTheCacheMoveTheirBytesFaster) {
  LinkModel memory = DefaultHostModel();
  memory.cache_bytes = 0;
  // Nor a core's own cache: with a 2 MiB L2 (an Intel build VM) this call's 2 MiB per core would
  // fit it and both models would price it in cache.
  memory.private_cache_bytes = 0;
  LinkModel cached = memory;
  cached.cache_bytes = 32 << 20;
  cached.cache_speedup = 3;
  cached.reduce_cache_share = 1;
  cached.forward_cache_speedup = 0;  // beyond the cache, forwarded bytes at the cache's speedup
  cached.memory_read_s_per_byte = 0;
  // 2 ranks x (1 MiB in + 1 MiB out) fits: the bytes' share of the time shrinks.
  Choice a, b;
  ASSERT_TRUE(Choose(ChoiceArgs(Collective::kAllReduce, 2, (1 << 20) / 4), memory, AlgoOverride(), &a).ok());
  ASSERT_TRUE(Choose(ChoiceArgs(Collective::kAllReduce, 2, (1 << 20) / 4), cached, AlgoOverride(), &b).ok());
  EXPECT_LT(b.est_seconds, a.est_seconds / 2);
  // ForWorkingSet itself: every per-byte figure scaled below the cache size; above it only what a
  // fused step forwards as it receives it (still in cache).
  LinkModel in = ForWorkingSet(cached, 1 << 20), out = ForWorkingSet(cached, 1 << 30);
  EXPECT_DOUBLE_EQ(in.gamma_s_per_byte * 3, cached.gamma_s_per_byte);
  EXPECT_DOUBLE_EQ(in.link(0, 1).beta_s_per_byte * 3, cached.link(0, 1).beta_s_per_byte);
  EXPECT_DOUBLE_EQ(in.link(0, 1).alpha_s, cached.link(0, 1).alpha_s);
  EXPECT_DOUBLE_EQ(in.forward_speedup, 1);
  EXPECT_DOUBLE_EQ(out.gamma_s_per_byte, cached.gamma_s_per_byte);
  EXPECT_DOUBLE_EQ(out.link(0, 1).beta_s_per_byte, cached.link(0, 1).beta_s_per_byte);
  EXPECT_DOUBLE_EQ(out.forward_speedup, 3);
  // Beyond the cache, a schedule that forwards as it receives (ring) gains on one that does not
  // (Rabenseifner), which the memory-only model prices alike.
  CollArgs big = Args(Collective::kAllReduce, 4, (256 << 20) / 4);
  SimResult ring_mem, rab_mem, ring_out, rab_out;
  ASSERT_TRUE(EstimateAlgorithm(*sched::FindAlgorithm("ring"), big, memory, &ring_mem).ok());
  ASSERT_TRUE(EstimateAlgorithm(*sched::FindAlgorithm("rabenseifner"), big, memory, &rab_mem).ok());
  ASSERT_TRUE(EstimateAlgorithm(*sched::FindAlgorithm("ring"), big, out, &ring_out).ok());
  ASSERT_TRUE(EstimateAlgorithm(*sched::FindAlgorithm("rabenseifner"), big, out, &rab_out).ok());
  EXPECT_LT(ring_out.seconds / rab_out.seconds, ring_mem.seconds / rab_mem.seconds * 0.95);
}

TEST(Tuner, CoresOwnCacheAndSharedCoresAndStreamedResults) {
  LinkModel m = DefaultHostModel();
  m.cache_bytes = 32 << 20;
  m.cache_speedup = 3;
  m.private_cache_bytes = 1 << 20;
  m.private_cache_speedup = 5;
  m.reduce_cache_share = 1;
  m.forward_cache_speedup = 0;
  // 4 ranks x 128 KiB each: 128 KiB per core fits the core's own cache; 4 x 1 MiB only the shared.
  EXPECT_DOUBLE_EQ(ForWorkingSet(m, 4 * 128 * 1024, 4).gamma_s_per_byte * 5, m.gamma_s_per_byte);
  EXPECT_DOUBLE_EQ(ForWorkingSet(m, 4 * 1024 * 1024 + 4, 4).gamma_s_per_byte * 3, m.gamma_s_per_byte);
  EXPECT_DOUBLE_EQ(ForWorkingSet(m, 4 * 128 * 1024).gamma_s_per_byte * 3, m.gamma_s_per_byte) << "rank count unknown";
  // Two ranks per core share that core's cache: 2 x 768 KiB no longer fits.
  LinkModel shared = m;
  ForSharedCores(&shared, 2);
  EXPECT_DOUBLE_EQ(ForWorkingSet(m, 4 * 768 * 1024, 4).gamma_s_per_byte * 5, m.gamma_s_per_byte);
  EXPECT_DOUBLE_EQ(ForWorkingSet(shared, 4 * 768 * 1024, 4).gamma_s_per_byte * 3, m.gamma_s_per_byte);
  // Beyond the cache, ranks on shared cores forward nothing from cache: the peer runs later.
  EXPECT_DOUBLE_EQ(ForWorkingSet(m, 1e9, 4).forward_speedup, 3);
  EXPECT_DOUBLE_EQ(ForWorkingSet(shared, 1e9, 4).forward_speedup, 1);
  // Receives into results nothing reads again are written around the caches beyond the cache:
  // an all-gather (whose receives are mostly unread) gains from stream_speedup.
  LinkModel plain = ForWorkingSet(m, 1e9, 2), streamed = plain;
  plain.stream_speedup = 1;
  streamed.stream_speedup = 2;
  CollArgs ag = Args(Collective::kAllGather, 2, (64 << 20) / 4);
  SimResult a, b;
  ASSERT_TRUE(EstimateAlgorithm(*sched::FindAlgorithm("ring"), ag, plain, &a).ok());
  ASSERT_TRUE(EstimateAlgorithm(*sched::FindAlgorithm("ring"), ag, streamed, &b).ok());
  EXPECT_LT(b.seconds, a.seconds * 0.9);
}

// Reductions gain only their share of a cache's speedup; beyond the cache, forwarded bytes get
// forward_cache_speedup and an operand fresh from memory costs a read.
TEST(Tuner, ReductionsInCacheAndReadsFromMemory) {
  LinkModel m = DefaultHostModel();
  m.cache_bytes = 32 << 20;
  m.cache_speedup = 3;
  m.reduce_cache_share = 0.5;
  m.forward_cache_speedup = 1.3;
  m.memory_read_s_per_byte = 1 / 8e9;
  m.private_cache_bytes = 0;
  const LinkModel in = ForWorkingSet(m, 1 << 20, 2), out = ForWorkingSet(m, 1 << 30, 2);
  EXPECT_DOUBLE_EQ(in.gamma_s_per_byte * 1.5, m.gamma_s_per_byte);
  EXPECT_DOUBLE_EQ(in.copy_s_per_byte * 3, m.copy_s_per_byte);
  EXPECT_DOUBLE_EQ(in.cold_read_s_per_byte, 0);
  EXPECT_DOUBLE_EQ(out.forward_speedup, 1.3);
  EXPECT_DOUBLE_EQ(out.cold_read_s_per_byte, m.memory_read_s_per_byte);
  // The ring reduces operands it has never read: the read from memory makes it dearer. One-shot
  // reduces each piece right after sending it, and on 3+ ranks into the running result the step
  // before wrote, from the cache: the same price either way.
  LinkModel no_reads = out;
  no_reads.cold_read_s_per_byte = 0;
  for (int n : {2, 3, 4}) {
    const CollArgs big = Args(Collective::kAllReduce, n, (64 << 20) / 4);
    SimResult ring, ring_reads, one, one_reads;
    ASSERT_TRUE(EstimateAlgorithm(*sched::FindAlgorithm("ring"), big, no_reads, &ring).ok());
    ASSERT_TRUE(EstimateAlgorithm(*sched::FindAlgorithm("ring"), big, out, &ring_reads).ok());
    ASSERT_TRUE(EstimateAlgorithm(*sched::FindAlgorithm("one_shot"), big, no_reads, &one).ok());
    ASSERT_TRUE(EstimateAlgorithm(*sched::FindAlgorithm("one_shot"), big, out, &one_reads).ok());
    EXPECT_GT(ring_reads.seconds, ring.seconds * 1.05) << n << " ranks";
    EXPECT_DOUBLE_EQ(one_reads.seconds, one.seconds) << n << " ranks";
  }
}

// The calibrated host model's picks for two ranks (docs/benchmarks.md, session 4): one-shot's
// pieces beyond the cache (or recursive doubling, which is one-shot on two ranks), a halving
// algorithm in between, one-shot for the smallest calls.
TEST(Tuner, TwoHostRanksBeyondTheCacheExchangeEverythingInPieces) {
  LinkModel m = DefaultHostModel();
  m.cache_bytes = 32 << 20;
  m.private_cache_bytes = 1 << 20;
  Choice tiny, mid, big;
  ASSERT_TRUE(Choose(Args(Collective::kAllReduce, 2, 4), m, AlgoOverride(), &tiny).ok());
  ASSERT_TRUE(Choose(Args(Collective::kAllReduce, 2, (1 << 20) / 4), m, AlgoOverride(), &mid).ok());
  ASSERT_TRUE(Choose(Args(Collective::kAllReduce, 2, (256 << 20) / 4), m, AlgoOverride(), &big).ok());
  const std::string t = tiny.algorithm->name, b = big.algorithm->name, md = mid.algorithm->name;
  EXPECT_TRUE(t == "one_shot" || t == "recursive_doubling") << t;
  EXPECT_TRUE(b == "one_shot" || b == "recursive_doubling") << b;
  EXPECT_TRUE(md == "rabenseifner" || md == "two_shot" || md == "ring") << md;
}

// A working set counts as in cache only up to cache_usable_share of the cache (3/4 on hosts): 4
// ranks over 2 cores at 4 MiB fill the 32 MiB L3 exactly, and were measured fastest with two-shot
// (median of three tables, session 5), which the model gives only when it prices memory.
TEST(Tuner, WorkingSetsCountOnThreeQuartersOfTheCache) {
  LinkModel m = DefaultHostModel();
  m.cache_bytes = 32 << 20;
  m.private_cache_bytes = 1 << 20;
  EXPECT_DOUBLE_EQ(m.cache_usable_share, 0.75);
  EXPECT_DOUBLE_EQ(ForWorkingSet(m, 24 << 20, 4).cold_read_s_per_byte, 0);  // in cache
  EXPECT_GT(ForWorkingSet(m, 25 << 20, 4).cold_read_s_per_byte, 0);         // beyond it
  LinkModel whole = m;
  whole.cache_usable_share = 1;
  EXPECT_DOUBLE_EQ(ForWorkingSet(whole, 32 << 20, 4).cold_read_s_per_byte, 0);
  ForSharedCores(&m, 2);
  CollArgs a = ChoiceArgs(Collective::kAllReduce, 4, (4 << 20) / 4);
  a.channels = 1;
  Choice c;
  ASSERT_TRUE(Choose(a, m, AlgoOverride(), &c).ok());
  EXPECT_STREQ(c.algorithm->name, "two_shot");
}

TEST(Tuner, PrivateCacheIsSmallerThanTheShared) {
  const uint64_t l2 = PrivateCacheBytes(), llc = LastLevelCacheBytes();
  if (l2 == 0) GTEST_SKIP() << "no private cache described (or it is shared, or the last level)";
  EXPECT_GE(l2, 64u * 1024);
  EXPECT_LT(l2, llc) << "the core's own cache must be below the shared one it is priced beside";
}

TEST(Tuner, LastLevelCacheIsWhatOneCoreShares) {
  const uint64_t llc = LastLevelCacheBytes();
  if (llc == 0) GTEST_SKIP() << "no cache information on this machine";
  EXPECT_GE(llc, 256u * 1024);
  EXPECT_LE(llc, 1024ull << 20) << "a whole package's total, not one core's share?";
}

TEST(Tuner, HostModelCalibrationOverrides) {
  LinkModel m = DefaultHostModel();
  Status st = ApplyHostModelOverrides(&m, "alpha_us=0.5,reduce_gbps=10,cache_mib=8,bogus=1,copy_gbps=x,link_gbps=inf");
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("bogus"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("copy_gbps=x"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("link_gbps=inf"), std::string::npos) << st.message();
  EXPECT_DOUBLE_EQ(m.link(0, 1).alpha_s, 0.5e-6);
  EXPECT_DOUBLE_EQ(m.link(0, 1).beta_s_per_byte, DefaultHostModel().link(0, 1).beta_s_per_byte);
  EXPECT_DOUBLE_EQ(m.gamma_s_per_byte, 1.0 / 10e9);
  EXPECT_DOUBLE_EQ(m.cache_bytes, 8.0 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(m.copy_s_per_byte, DefaultHostModel().copy_s_per_byte);  // "x" refused
  // The memory-traffic keys (session 4).
  LinkModel k = DefaultHostModel();
  ASSERT_TRUE(ApplyHostModelOverrides(&k, "reduce_cache_share=0.25,forward_speedup=2,read_gbps=4,pipeline_kib=32").ok());
  EXPECT_DOUBLE_EQ(k.reduce_cache_share, 0.25);
  EXPECT_DOUBLE_EQ(k.forward_cache_speedup, 2);
  EXPECT_DOUBLE_EQ(k.memory_read_s_per_byte, 1.0 / 4e9);
  EXPECT_DOUBLE_EQ(k.pipeline_bytes, 32 * 1024);
  // The usable share of the cache (session 5): a share, so at most 1.
  ASSERT_TRUE(ApplyHostModelOverrides(&k, "cache_share=0.5").ok());
  EXPECT_DOUBLE_EQ(k.cache_usable_share, 0.5);
  st = ApplyHostModelOverrides(&k, "cache_share=1.5");
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("at most 1"), std::string::npos) << st.message();
  EXPECT_DOUBLE_EQ(k.cache_usable_share, 0.5);
}

// The communicator applies CHORUS_HOST_MODEL before ForSharedCores: a latency the user gave
// must survive it (it was overwritten by the fitted 4 us per extra rank per core).
TEST(Tuner, SharedCoresKeepAGivenLatency) {
  LinkModel fitted = DefaultHostModel();
  ForSharedCores(&fitted, 2);
  EXPECT_DOUBLE_EQ(fitted.latency_s, 4e-6);
  LinkModel given = DefaultHostModel();
  ASSERT_TRUE(ApplyHostModelOverrides(&given, "latency_us=1.5").ok());
  ForSharedCores(&given, 2);
  EXPECT_DOUBLE_EQ(given.latency_s, 1.5e-6);
  EXPECT_DOUBLE_EQ(given.ranks_per_core, 2);
  // And it prices: more latency, a dearer multi-round schedule.
  CollArgs a = ChoiceArgs(Collective::kAllReduce, 4, 1024);
  AlgoOverride ring;
  ring.all = "ring";
  Choice slow, fast;
  ASSERT_TRUE(Choose(a, fitted, ring, &slow).ok());
  ASSERT_TRUE(Choose(a, given, ring, &fast).ok());
  EXPECT_LT(fast.est_seconds, slow.est_seconds);
}

TEST(Tuner, InPlaceRanksChooseLikeTheOthers) {
  LinkModel m = DefaultHostModel();
  for (Count count : {Count{4}, Count{1} << 16, Count{1} << 22}) {
    CollArgs a = ChoiceArgs(Collective::kAllReduce, 6, count);
    Choice out_of_place, in_place;
    ASSERT_TRUE(Choose(a, m, AlgoOverride(), &out_of_place).ok());
    a.in_place = true;
    ASSERT_TRUE(Choose(a, m, AlgoOverride(), &in_place).ok());
    EXPECT_EQ(in_place.algorithm, out_of_place.algorithm);
    EXPECT_EQ(in_place.args.channels, out_of_place.args.channels);
    EXPECT_EQ(in_place.args.chunk_bytes, out_of_place.args.chunk_bytes);
    EXPECT_TRUE(in_place.args.in_place);
    EXPECT_FALSE(out_of_place.args.in_place);
  }
}

TEST(Tuner, StaysWithinTheChannelsTheCallerHas) {
  LinkModel m = DefaultHostModel();
  for (int most : {1, 2, 4}) {
    for (Collective coll : {Collective::kAllReduce, Collective::kBroadcast, Collective::kAllToAll}) {
      CollArgs a = ChoiceArgs(coll, 8, 4 << 20);
      a.channels = most;
      Choice c;
      ASSERT_TRUE(Choose(a, m, AlgoOverride(), &c).ok());
      EXPECT_LE(c.args.channels, most) << Name(coll);
      EXPECT_GE(c.args.channels, 1);
    }
  }
}

TEST(Tuner, EveryCollectiveGetsAChoice) {
  LinkModel m = DefaultHostModel();
  for (Collective coll : {Collective::kAllReduce, Collective::kAllGather, Collective::kReduceScatter,
                          Collective::kAllToAll, Collective::kBroadcast, Collective::kReduce}) {
    for (int n : {1, 3, 8}) {
      for (Count count : {Count{1}, Count{1} << 18}) {
        Choice c;
        Status st = Choose(ChoiceArgs(coll, n, count), m, AlgoOverride(), &c);
        ASSERT_TRUE(st.ok()) << Name(coll) << " n=" << n << ": " << st.message();
        ASSERT_NE(c.algorithm, nullptr);
        EXPECT_TRUE(c.algorithm->applies(c.args));
        EXPECT_TRUE(sched::VerifyAlgorithm(*c.algorithm, c.args).ok()) << c.algorithm->name;
      }
    }
  }
}

TEST(AlgoOverride, Parses) {
  AlgoOverride o;
  ASSERT_TRUE(ParseAlgoOverride("ring", &o).ok());
  EXPECT_EQ(o.For(Collective::kAllReduce), "ring");
  EXPECT_EQ(o.For(Collective::kBroadcast), "ring");
  ASSERT_TRUE(ParseAlgoOverride("allreduce=rabenseifner, broadcast=chain", &o).ok());
  EXPECT_EQ(o.For(Collective::kAllReduce), "rabenseifner");
  EXPECT_EQ(o.For(Collective::kBroadcast), "chain");
  EXPECT_EQ(o.For(Collective::kAllGather), "");
  ASSERT_TRUE(ParseAlgoOverride("ring,allgather=bruck", &o).ok());
  EXPECT_EQ(o.For(Collective::kAllGather), "bruck");
  EXPECT_EQ(o.For(Collective::kReduceScatter), "ring");
  EXPECT_TRUE(ParseAlgoOverride("", &o).ok());
  EXPECT_TRUE(o.empty());
  Status bad = ParseAlgoOverride("allreduce=fastest", &o);
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("unknown algorithm 'fastest'"), std::string::npos) << bad.message();
  bad = ParseAlgoOverride("allfoo=ring", &o);
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("unknown collective"), std::string::npos) << bad.message();
}

TEST(AlgoOverride, ForcedAlgorithmIsUsedOrRefused) {
  LinkModel m = DefaultHostModel();
  AlgoOverride o;
  ASSERT_TRUE(ParseAlgoOverride("allreduce=one_shot", &o).ok());
  Choice c;
  ASSERT_TRUE(Choose(ChoiceArgs(Collective::kAllReduce, 8, 16 << 20), m, o, &c).ok());
  EXPECT_STREQ(c.algorithm->name, "one_shot");
  EXPECT_TRUE(c.forced);
  ASSERT_TRUE(ParseAlgoOverride("allreduce=hierarchical", &o).ok());
  Status st = Choose(ChoiceArgs(Collective::kAllReduce, 8, 1024), m, o, &c);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.code(), chorusInvalidUsage);
  EXPECT_NE(st.message().find("CHORUS_ALGO forces 'hierarchical'"), std::string::npos) << st.message();
  ASSERT_TRUE(ParseAlgoOverride("ring", &o).ok());
  EXPECT_FALSE(Choose(ChoiceArgs(Collective::kBroadcast, 4, 1024), m, o, &c).ok());
}

TEST(TunerClass, ReadsChorusAlgoAndCaches) {
  setenv("CHORUS_ALGO", "allgather=bruck", 1);
  Tuner t(DefaultHostModel());
  unsetenv("CHORUS_ALGO");
  Choice a, b, c;
  ASSERT_TRUE(t.Choose(ChoiceArgs(Collective::kAllGather, 6, 1 << 16), &a).ok());
  EXPECT_STREQ(a.algorithm->name, "bruck");
  ASSERT_TRUE(t.Choose(ChoiceArgs(Collective::kAllGather, 6, 1 << 16), &b).ok());
  EXPECT_EQ(a.algorithm, b.algorithm);
  EXPECT_EQ(a.est_seconds, b.est_seconds);
  EXPECT_EQ(a.args.channels, b.args.channels);
  ASSERT_TRUE(t.Choose(ChoiceArgs(Collective::kAllReduce, 6, 1 << 16), &c).ok());
  EXPECT_FALSE(c.forced);

  setenv("CHORUS_ALGO", "allreduce=nosuch", 1);
  Tuner broken(DefaultHostModel());
  unsetenv("CHORUS_ALGO");
  EXPECT_FALSE(broken.Choose(ChoiceArgs(Collective::kAllReduce, 4, 16), &c).ok());
}

TEST(Tuner, FormatsBytes) {
  EXPECT_EQ(FormatBytes(8), "8B");
  EXPECT_EQ(FormatBytes(64 << 20), "64MiB");
  EXPECT_EQ(FormatBytes(1536), "1.5KiB");
}

}  // namespace
}  // namespace chorus::tune
