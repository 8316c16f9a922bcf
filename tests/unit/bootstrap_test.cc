// The TCP bootstrap: unique ids, joining, all-gather, barrier, point-to-point, and the ways it must
// fail (intruders, malformed input, timeouts, aborts, ranks that die) with ranks as threads and as
// forked processes.
#include "bootstrap/bootstrap.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "bootstrap/launch_env.h"
#include "bootstrap/sha256.h"
#include "bootstrap/socket.h"
#include "bootstrap/wire.h"
#include "support/test_support.h"

namespace chorus {
namespace {

using Clock = std::chrono::steady_clock;
using testing::RankMode;

// A rank's body returns "" on success or what went wrong.
using Body = std::function<std::string(int rank, int nranks, const chorusUniqueId& id)>;

// Runs `nranks` ranks of `body` as threads or forked processes (test_support's RunRanks) on `id`,
// the test's own id (a loopback one, or a launcher's), which intruders and timeouts need to know
// beforehand: the fresh id RunRanks makes is left unused (and made on loopback too).
std::string RunOn(RankMode mode, int nranks, const chorusUniqueId& id, const Body& body) {
  setenv("CHORUS_BOOTSTRAP_ADDR", "127.0.0.1", 1);
  std::string err = testing::RunRanks(
      nranks, mode, [&](int rank, int n, const chorusUniqueId&) { return body(rank, n, id); },
      /*timeout_s=*/60);
  unsetenv("CHORUS_BOOTSTRAP_ADDR");
  // The parent is no rank; the forked rank 0 adopted its own copy of the listener.
  if (mode == RankMode::kProcesses) ReleaseUniqueId(id);
  return err;
}
// Ids for tests always use loopback: tests must not depend on the machine's interfaces.
chorusUniqueId LoopbackId() {
  setenv("CHORUS_BOOTSTRAP_ADDR", "127.0.0.1", 1);
  chorusUniqueId id;
  Status s = NewUniqueId(&id);
  unsetenv("CHORUS_BOOTSTRAP_ADDR");
  EXPECT_TRUE(s.ok()) << s.message();
  return id;
}

std::string Describe(const Status& s) { return "code " + std::to_string(s.code()) + ": " + s.message(); }

BootstrapOptions Opts(int64_t timeout_ms = 30000, const std::atomic<bool>* abort_flag = nullptr) {
  BootstrapOptions o;
  o.timeout_ms = timeout_ms;
  o.abort_flag = abort_flag;
  return o;
}

bool Contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

// ---------------------------------------------------------------- unique ids

TEST(UniqueId, RoundTripIpv4AndIpv6) {
  for (const char* host : {"127.0.0.1", "10.200.0.7", "::1", "fe80::1:2"}) {
    UniqueIdInfo in;
    in.host = host;
    in.port = 51234;
    for (int i = 0; i < 16; ++i) in.secret[i] = static_cast<uint8_t>(i * 17 + 3);
    chorusUniqueId id;
    ASSERT_TRUE(EncodeUniqueId(in, &id).ok()) << host;
    UniqueIdInfo out;
    Status s = DecodeUniqueId(id, &out);
    ASSERT_TRUE(s.ok()) << host << ": " << s.message();
    EXPECT_EQ(out.host, host);
    EXPECT_EQ(out.port, 51234);
    EXPECT_EQ(memcmp(out.secret, in.secret, 16), 0);
    std::string text = UniqueIdToString(id);
    EXPECT_EQ(text.size(), 2u * CHORUS_UNIQUE_ID_BYTES);
    chorusUniqueId back;
    ASSERT_TRUE(UniqueIdFromString(text, &back).ok());
    EXPECT_EQ(memcmp(back.internal, id.internal, CHORUS_UNIQUE_ID_BYTES), 0);
  }
}

TEST(UniqueId, EncodeRejectsBadInput) {
  UniqueIdInfo in;
  chorusUniqueId id;
  in.host = "localhost";  // names are resolved by UniqueIdFromAddress, not here
  in.port = 1;
  EXPECT_EQ(EncodeUniqueId(in, &id).code(), chorusInvalidArgument);
  in.host = "127.0.0.1";
  in.port = 0;
  EXPECT_EQ(EncodeUniqueId(in, &id).code(), chorusInvalidArgument);
}

TEST(UniqueId, EverySingleByteCorruptionIsRejected) {
  UniqueIdInfo in;
  in.host = "127.0.0.1";
  in.port = 4242;
  for (int i = 0; i < 16; ++i) in.secret[i] = static_cast<uint8_t>(0xA0 + i);
  chorusUniqueId id;
  ASSERT_TRUE(EncodeUniqueId(in, &id).ok());
  for (size_t i = 0; i < CHORUS_UNIQUE_ID_BYTES; ++i) {
    for (uint8_t flip : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xff}}) {
      chorusUniqueId bad = id;
      bad.internal[i] = static_cast<char>(bad.internal[i] ^ flip);
      Status s = DecodeUniqueId(bad, nullptr);
      EXPECT_EQ(s.code(), chorusInvalidArgument) << "byte " << i << " ^ " << int(flip) << " accepted";
    }
  }
  chorusUniqueId zero = {};
  EXPECT_FALSE(DecodeUniqueId(zero, nullptr).ok());
}

TEST(UniqueId, TextRejectsBadInput) {
  chorusUniqueId id;
  EXPECT_EQ(UniqueIdFromString("", &id).code(), chorusInvalidArgument);
  EXPECT_EQ(UniqueIdFromString("abc", &id).code(), chorusInvalidArgument);
  std::string text = UniqueIdToString(LoopbackId());
  std::string bad = text;
  bad[10] = 'g';
  EXPECT_EQ(UniqueIdFromString(bad, &id).code(), chorusInvalidArgument);
  bad = text;
  bad[200] = bad[200] == '0' ? '1' : '0';  // in the zero padding
  EXPECT_EQ(UniqueIdFromString(bad, &id).code(), chorusInvalidArgument);
  std::string upper = text;
  for (char& c : upper) c = static_cast<char>(toupper(c));
  EXPECT_TRUE(UniqueIdFromString(upper, &id).ok());
}

TEST(UniqueId, NewIdListensAndHonoursBootstrapAddr) {
  chorusUniqueId id = LoopbackId();
  UniqueIdInfo info;
  ASSERT_TRUE(DecodeUniqueId(id, &info).ok());
  EXPECT_EQ(info.host, "127.0.0.1");
  EXPECT_NE(info.port, 0);
  // The registry's socket is listening: a connect succeeds before any Bootstrap exists.
  bootstrap::SockAddr addr;
  ASSERT_TRUE(bootstrap::ParseNumericAddr(info.host, info.port, &addr).ok());
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_EQ(connect(fd, addr.sa(), addr.len), 0) << strerror(errno);
  close(fd);
  ReleaseUniqueId(id);
  // Two ids differ in port and secret.
  chorusUniqueId a = LoopbackId(), b = LoopbackId();
  EXPECT_NE(memcmp(a.internal, b.internal, CHORUS_UNIQUE_ID_BYTES), 0);
  ReleaseUniqueId(a);
  ReleaseUniqueId(b);
  // The default choice (no CHORUS_BOOTSTRAP_ADDR) yields some usable address too.
  chorusUniqueId d;
  Status s = NewUniqueId(&d);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_TRUE(DecodeUniqueId(d, &info).ok());
  EXPECT_FALSE(info.host.empty());
  ReleaseUniqueId(d);
  setenv("CHORUS_BOOTSTRAP_ADDR", "not-an-address", 1);
  EXPECT_EQ(NewUniqueId(&d).code(), chorusInvalidArgument);
  unsetenv("CHORUS_BOOTSTRAP_ADDR");
  setenv("CHORUS_SOCKET_IFNAME", "nosuchif", 1);
  EXPECT_EQ(NewUniqueId(&d).code(), chorusInvalidArgument);
  setenv("CHORUS_SOCKET_IFNAME", "lo", 1);
  s = NewUniqueId(&d);
  EXPECT_TRUE(s.ok()) << s.message();
  if (s.ok()) {
    ASSERT_TRUE(DecodeUniqueId(d, &info).ok());
    EXPECT_EQ(info.host, "127.0.0.1");
    ReleaseUniqueId(d);
  }
  unsetenv("CHORUS_SOCKET_IFNAME");
}

// ---------------------------------------------------------------- working ranks

// AllGather of rank-specific bytes (two sizes), barriers, a ring of tagged messages, a message to
// oneself, and an empty all-gather.
std::string Exercise(int rank, int nranks, const chorusUniqueId& id) {
  std::unique_ptr<Bootstrap> b;
  Status s = Bootstrap::Create(id, rank, nranks, Opts(), &b);
  if (!s.ok()) return "Create: " + Describe(s);
  if (b->rank() != rank || b->size() != nranks) return "rank()/size() wrong";
  for (Bytes bytes : {Bytes{1}, Bytes{24}, Bytes{70000}}) {
    std::vector<uint8_t> all(bytes * nranks, 0xEE);
    for (Bytes i = 0; i < bytes; ++i) all[rank * bytes + i] = static_cast<uint8_t>(rank * 31 + i * 7 + bytes);
    s = b->AllGather(all.data(), bytes);
    if (!s.ok()) return "AllGather(" + std::to_string(bytes) + "): " + Describe(s);
    for (int r = 0; r < nranks; ++r) {
      for (Bytes i = 0; i < bytes; ++i) {
        if (all[r * bytes + i] != static_cast<uint8_t>(r * 31 + i * 7 + bytes)) {
          return "AllGather(" + std::to_string(bytes) + "): wrong byte " + std::to_string(i) + " from rank " +
                 std::to_string(r);
        }
      }
    }
    s = b->Barrier();
    if (!s.ok()) return "Barrier: " + Describe(s);
  }
  s = b->AllGather(nullptr, 0);
  if (!s.ok()) return "AllGather(0): " + Describe(s);
  int next = (rank + 1) % nranks, prev = (rank + nranks - 1) % nranks;
  for (int round = 0; round < 3; ++round) {
    uint64_t out[4] = {uint64_t(rank), uint64_t(round), 0xC0FFEEull, uint64_t(nranks)};
    s = b->Send(next, 100 + rank + round, out, sizeof(out));
    if (!s.ok()) return "Send: " + Describe(s);
    uint64_t in[4] = {};
    s = b->Recv(prev, 100 + prev + round, in, sizeof(in));
    if (!s.ok()) return "Recv: " + Describe(s);
    if (in[0] != uint64_t(prev) || in[1] != uint64_t(round) || in[2] != 0xC0FFEEull) return "ring payload wrong";
  }
  int self = rank * 3;
  s = b->Send(rank, 9, &self, sizeof(self));
  int back = -1;
  if (s.ok()) s = b->Recv(rank, 9, &back, sizeof(back));
  if (!s.ok() || back != self) return "self message: " + Describe(s);
  s = b->Barrier();
  if (!s.ok()) return "final Barrier: " + Describe(s);
  b->Close();
  return "";
}

class BootstrapRanks : public ::testing::TestWithParam<std::tuple<RankMode, int>> {};

TEST_P(BootstrapRanks, AllGatherBarrierRing) {
  auto [mode, nranks] = GetParam();
  chorusUniqueId id = LoopbackId();
  std::string err = RunOn(mode, nranks, id, Exercise);
  EXPECT_EQ(err, "") << nranks << " ranks as " << testing::Name(mode);
}

INSTANTIATE_TEST_SUITE_P(All, BootstrapRanks,
                         ::testing::Combine(::testing::Values(RankMode::kThreads, RankMode::kProcesses),
                                            ::testing::Values(1, 2, 3, 8, 16)),
                         [](const auto& info) {
                           return std::string(testing::Name(std::get<0>(info.param))) + "_" +
                                  std::to_string(std::get<1>(info.param));
                         });

// Rank 0 in a process that did not create the id: it binds the id's address itself.
TEST(Bootstrap, RootBindsAddressFromLauncher) {
  bootstrap::SockAddr any;
  ASSERT_TRUE(bootstrap::ParseNumericAddr("127.0.0.1", 0, &any).ok());
  int fd = -1;
  bootstrap::SockAddr bound;
  ASSERT_TRUE(bootstrap::Listen(any, true, &fd, &bound).ok());
  close(fd);  // a free port, as chorus-run picks one
  chorusUniqueId id;
  ASSERT_TRUE(UniqueIdFromAddress(bound.ToString(), "s3cret", &id).ok());
  EXPECT_EQ(RunOn(RankMode::kThreads, 3, id, Exercise), "");
  EXPECT_EQ(RunOn(RankMode::kProcesses, 3, id, Exercise), "");
}

// Ranks that start late (the root last) still join: members retry until the root listens.
TEST(Bootstrap, StaggeredStart) {
  chorusUniqueId id = LoopbackId();
  std::string err = RunOn(RankMode::kThreads, 4, id, [](int rank, int nranks, const chorusUniqueId& id) {
    std::this_thread::sleep_for(std::chrono::milliseconds(60 * (nranks - rank)));
    return Exercise(rank, nranks, id);
  });
  EXPECT_EQ(err, "");
}

// Large messages both ways at once must not deadlock on full socket buffers.
TEST(Bootstrap, SimultaneousLargeExchange) {
  chorusUniqueId id = LoopbackId();
  std::string err = RunOn(RankMode::kThreads, 2, id, [](int rank, int nranks, const chorusUniqueId& id) -> std::string {
    std::unique_ptr<Bootstrap> b;
    Status s = Bootstrap::Create(id, rank, nranks, Opts(), &b);
    if (!s.ok()) return Describe(s);
    std::vector<uint8_t> out(8 << 20, static_cast<uint8_t>(rank + 1)), in(8 << 20);
    s = b->Send(1 - rank, 1, out.data(), out.size());
    if (!s.ok()) return "Send: " + Describe(s);
    s = b->Recv(1 - rank, 1, in.data(), in.size());
    if (!s.ok()) return "Recv: " + Describe(s);
    if (in[0] != static_cast<uint8_t>(2 - rank) || in.back() != in[0]) return "payload wrong";
    return "";
  });
  EXPECT_EQ(err, "");
}

// ---------------------------------------------------------------- mismatches

TEST(Bootstrap, TagAndSizeMismatchNamePeer) {
  chorusUniqueId id = LoopbackId();
  std::string err = RunOn(RankMode::kThreads, 2, id, [](int rank, int nranks, const chorusUniqueId& id) -> std::string {
    std::unique_ptr<Bootstrap> b;
    Status s = Bootstrap::Create(id, rank, nranks, Opts(), &b);
    if (!s.ok()) return Describe(s);
    int v = 5;
    if (rank == 0) {
      s = b->Send(1, 7, &v, sizeof(v));
      if (s.ok()) s = b->Send(1, 8, &v, sizeof(v));
      if (!s.ok()) return "Send: " + Describe(s);
    } else {
      s = b->Recv(0, 70, &v, sizeof(v));
      if (s.code() != chorusRemoteError || !Contains(s.message(), "rank 0") || !Contains(s.message(), "tag 7")) {
        return "tag mismatch not reported: " + Describe(s);
      }
      int64_t w = 0;
      s = b->Recv(0, 8, &w, sizeof(w));
      if (s.code() != chorusRemoteError || !Contains(s.message(), "rank 0")) {
        return "size mismatch not reported: " + Describe(s);
      }
    }
    return "";
  });
  EXPECT_EQ(err, "");
}

TEST(Bootstrap, CollectiveMismatchFailsBothSides) {
  chorusUniqueId id = LoopbackId();
  std::string err = RunOn(RankMode::kThreads, 2, id, [](int rank, int nranks, const chorusUniqueId& id) -> std::string {
    std::unique_ptr<Bootstrap> b;
    Status s = Bootstrap::Create(id, rank, nranks, Opts(5000), &b);
    if (!s.ok()) return Describe(s);
    uint32_t data[2] = {};
    s = rank == 0 ? b->Barrier() : b->AllGather(data, sizeof(uint32_t));
    if (s.code() != chorusRemoteError || !Contains(s.message(), "barrier") || !Contains(s.message(), "allgather")) {
      return "mismatch not reported: " + Describe(s);
    }
    return "";
  });
  EXPECT_EQ(err, "");
}

TEST(Bootstrap, InvalidArguments) {
  chorusUniqueId id = LoopbackId();
  std::unique_ptr<Bootstrap> b;
  EXPECT_EQ(Bootstrap::Create(id, 2, 2, Opts(), &b).code(), chorusInvalidArgument);
  EXPECT_EQ(Bootstrap::Create(id, -1, 2, Opts(), &b).code(), chorusInvalidArgument);
  EXPECT_EQ(Bootstrap::Create(id, 0, 0, Opts(), &b).code(), chorusInvalidArgument);
  chorusUniqueId zero = {};
  EXPECT_EQ(Bootstrap::Create(zero, 0, 1, Opts(), &b).code(), chorusInvalidArgument);
  ASSERT_TRUE(Bootstrap::Create(id, 0, 1, Opts(), &b).ok());
  int v = 0;
  EXPECT_EQ(b->Send(1, 0, &v, sizeof(v)).code(), chorusInvalidArgument);
  EXPECT_EQ(b->Recv(0, 0, &v, sizeof(v)).code(), chorusInvalidUsage);  // nothing sent to itself
  b->Close();
  EXPECT_EQ(b->Barrier().code(), chorusInvalidUsage);
}

// ---------------------------------------------------------------- intruders

int ConnectTo(const chorusUniqueId& id) {
  UniqueIdInfo info;
  if (!DecodeUniqueId(id, &info).ok()) return -1;
  bootstrap::SockAddr addr;
  if (!bootstrap::ParseNumericAddr(info.host, info.port, &addr).ok()) return -1;
  for (int attempt = 0; attempt < 500; ++attempt) {
    int fd = socket(addr.family(), SOCK_STREAM, 0);
    if (connect(fd, addr.sa(), addr.len) == 0) return fd;
    close(fd);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

// Reads until the peer closes; returns the bytes read, or -1 if it stayed open for `ms`.
long ReadUntilClosed(int fd, int ms, std::string* got = nullptr) {
  long total = 0;
  auto end = Clock::now() + std::chrono::milliseconds(ms);
  while (Clock::now() < end) {
    pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return total;
    if (got != nullptr) got->append(buf, static_cast<size_t>(n));
    total += n;
  }
  return -1;
}

void SendAllBytes(int fd, const void* p, size_t n) {
  const char* c = static_cast<const char*>(p);
  while (n > 0) {
    ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
    if (w <= 0) return;
    c += w;
    n -= static_cast<size_t>(w);
  }
}

std::vector<uint8_t> JoinHello(const chorusUniqueId& id, int rank, int nranks, bool right_secret) {
  UniqueIdInfo info;
  EXPECT_TRUE(DecodeUniqueId(id, &info).ok());
  bootstrap::Hello h;
  h.kind = bootstrap::HelloKind::kJoin;
  h.rank = rank;
  h.nranks = nranks;
  memcpy(h.secret, info.secret, 16);
  if (!right_secret) h.secret[5] ^= 0x40;
  EXPECT_TRUE(bootstrap::ParseNumericAddr("127.0.0.1", 9, &h.listen).ok());
  std::vector<uint8_t> bytes(bootstrap::kHelloBytes);
  bootstrap::EncodeHello(h, bytes.data());
  return bytes;
}

TEST(Bootstrap, WrongSecretIsRefusedWhileRealRanksComplete) {
  chorusUniqueId id = LoopbackId();
  long closed_after = -2;
  std::thread intruder([&] {
    int fd = ConnectTo(id);
    if (fd < 0) return;
    auto hello = JoinHello(id, 1, 3, /*right_secret=*/false);  // claims the real rank 1's place
    SendAllBytes(fd, hello.data(), hello.size());
    closed_after = ReadUntilClosed(fd, 10000);
    close(fd);
  });
  std::string err = RunOn(RankMode::kThreads, 3, id, [](int rank, int nranks, const chorusUniqueId& id) {
    if (rank != 0) std::this_thread::sleep_for(std::chrono::milliseconds(200));  // intruder first
    return Exercise(rank, nranks, id);
  });
  intruder.join();
  EXPECT_EQ(err, "");
  EXPECT_EQ(closed_after, 0) << "the intruder was not disconnected without a reply";
}

TEST(Bootstrap, MalformedHellosAreRefusedWithoutCrashing) {
  chorusUniqueId id = LoopbackId();
  std::vector<long> results(5, -2);
  std::string reply_to_liar;
  std::thread intruders([&] {
    std::mt19937 rng(12345);
    // 0: 4 KiB of random bytes.
    int fd = ConnectTo(id);
    std::vector<uint8_t> junk(4096);
    for (auto& x : junk) x = static_cast<uint8_t>(rng());
    SendAllBytes(fd, junk.data(), junk.size());
    results[0] = ReadUntilClosed(fd, 10000);
    close(fd);
    // 1: a frame header that claims 2^60 bytes, in place of a hello.
    fd = ConnectTo(id);
    uint8_t header[bootstrap::kFrameHeaderBytes];
    bootstrap::EncodeFrameHeader({bootstrap::FrameKind::kP2p, 1, uint64_t{1} << 60}, header);
    std::vector<uint8_t> msg(header, header + sizeof(header));
    msg.resize(bootstrap::kHelloBytes, 0xFF);
    SendAllBytes(fd, msg.data(), msg.size());
    results[1] = ReadUntilClosed(fd, 10000);
    close(fd);
    // 2: half a hello, then close.
    fd = ConnectTo(id);
    auto hello = JoinHello(id, 2, 3, true);
    SendAllBytes(fd, hello.data(), 10);
    close(fd);
    results[2] = 0;
    // 3: the right secret but an impossible rank: refused with a reason.
    fd = ConnectTo(id);
    hello = JoinHello(id, 7, 3, true);
    SendAllBytes(fd, hello.data(), hello.size());
    results[3] = ReadUntilClosed(fd, 10000, &reply_to_liar);
    close(fd);
    // 4: a valid-looking hello with a corrupted version field.
    fd = ConnectTo(id);
    hello = JoinHello(id, 1, 3, true);
    hello[4] = 99;
    SendAllBytes(fd, hello.data(), hello.size());
    results[4] = ReadUntilClosed(fd, 10000);
    close(fd);
  });
  std::string err = RunOn(RankMode::kThreads, 3, id, [](int rank, int nranks, const chorusUniqueId& id) {
    if (rank != 0) std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return Exercise(rank, nranks, id);
  });
  intruders.join();
  EXPECT_EQ(err, "");
  EXPECT_EQ(results[0], 0);
  EXPECT_EQ(results[1], 0);
  EXPECT_EQ(results[2], 0);
  EXPECT_GT(results[3], 0) << "an intruder holding the secret should be told why it is refused";
  EXPECT_TRUE(Contains(reply_to_liar, "rank 7")) << reply_to_liar;
  EXPECT_EQ(results[4], 0);
}

// A peer that holds the secret but then claims a 1 TiB message is cut off without allocating it;
// the rank waiting on it gets a remote error that says so, and the job goes on.
TEST(Bootstrap, AuthenticatedPeerWithHugeLengthIsCutOff) {
  chorusUniqueId id = LoopbackId();
  std::atomic<bool> go{false};
  std::thread intruder([&] {
    while (!go.load()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    int fd = ConnectTo(id);
    UniqueIdInfo info;
    ASSERT_TRUE(DecodeUniqueId(id, &info).ok());
    bootstrap::Hello h;
    h.kind = bootstrap::HelloKind::kP2p;
    h.rank = 1;
    h.nranks = 2;
    memcpy(h.secret, info.secret, 16);
    uint8_t bytes[bootstrap::kHelloBytes + bootstrap::kFrameHeaderBytes];
    bootstrap::EncodeHello(h, bytes);
    bootstrap::EncodeFrameHeader({bootstrap::FrameKind::kP2p, 4, uint64_t{1} << 40}, bytes + bootstrap::kHelloBytes);
    SendAllBytes(fd, bytes, sizeof(bytes));
    ReadUntilClosed(fd, 10000);
    close(fd);
  });
  std::string err = RunOn(RankMode::kThreads, 2, id, [&](int rank, int nranks, const chorusUniqueId& id) -> std::string {
    std::unique_ptr<Bootstrap> b;
    Status s = Bootstrap::Create(id, rank, nranks, Opts(10000), &b);
    if (!s.ok()) return Describe(s);
    if (rank == 0) {
      go.store(true);
      uint64_t v;
      s = b->Recv(1, 4, &v, sizeof(v));
      if (s.code() != chorusRemoteError || !Contains(s.message(), "malformed")) return "Recv: " + Describe(s);
    }
    s = b->Barrier();
    if (!s.ok()) return "Barrier: " + Describe(s);
    return "";
  });
  intruder.join();
  EXPECT_EQ(err, "");
}

TEST(Wire, DecodersRejectEveryMalformedField) {
  bootstrap::Hello h;
  h.kind = bootstrap::HelloKind::kJoin;
  h.rank = 3;
  h.nranks = 4;
  for (int i = 0; i < 16; ++i) h.secret[i] = static_cast<uint8_t>(i);
  ASSERT_TRUE(bootstrap::ParseNumericAddr("10.200.0.2", 4000, &h.listen).ok());
  uint8_t good[bootstrap::kHelloBytes];
  bootstrap::EncodeHello(h, good);
  bootstrap::Hello back;
  ASSERT_TRUE(bootstrap::DecodeHello(good, &back).ok());
  EXPECT_EQ(back.rank, 3);
  EXPECT_EQ(back.nranks, 4);
  EXPECT_EQ(back.listen.ToString(), "10.200.0.2:4000");
  // Magic, version, kind, address family/padding/port and the reserved tail are all checked.
  for (size_t i : {0u, 3u, 4u, 5u, 6u, 7u, 32u, 33u, 40u, 51u, 52u, 63u}) {
    uint8_t bad[bootstrap::kHelloBytes];
    memcpy(bad, good, sizeof(bad));
    bad[i] ^= 0xFF;
    EXPECT_FALSE(bootstrap::DecodeHello(bad, &back).ok()) << "hello byte " << i;
  }
  uint8_t port0[bootstrap::kHelloBytes];
  memcpy(port0, good, sizeof(port0));
  port0[34] = port0[35] = 0;
  EXPECT_FALSE(bootstrap::DecodeHello(port0, &back).ok()) << "port 0";
  std::mt19937 rng(7);
  for (int trial = 0; trial < 20000; ++trial) {
    uint8_t junk[bootstrap::kHelloBytes];
    for (auto& x : junk) x = static_cast<uint8_t>(rng());
    EXPECT_FALSE(bootstrap::DecodeHello(junk, &back).ok()) << "trial " << trial;
  }
  uint8_t header[bootstrap::kFrameHeaderBytes];
  bootstrap::FrameHeader fh;
  bootstrap::EncodeFrameHeader({bootstrap::FrameKind::kColl, 0x20000001u, 123}, header);
  ASSERT_TRUE(bootstrap::DecodeFrameHeader(header, &fh).ok());
  EXPECT_EQ(fh.kind, bootstrap::FrameKind::kColl);
  EXPECT_EQ(fh.tag, 0x20000001u);
  EXPECT_EQ(fh.length, 123u);
  bootstrap::EncodeFrameHeader({bootstrap::FrameKind::kP2p, 0, bootstrap::kMaxFrameBytes + 1}, header);
  EXPECT_FALSE(bootstrap::DecodeFrameHeader(header, &fh).ok());
  header[0] = 0;  // kind 0
  EXPECT_FALSE(bootstrap::DecodeFrameHeader(header, &fh).ok());
  header[0] = 6;  // beyond the last kind
  EXPECT_FALSE(bootstrap::DecodeFrameHeader(header, &fh).ok());
  uint8_t secret_a[16] = {1, 2, 3}, secret_b[16] = {1, 2, 3};
  EXPECT_TRUE(bootstrap::SecretsEqual(secret_a, secret_b));
  secret_b[15] = 1;
  EXPECT_FALSE(bootstrap::SecretsEqual(secret_a, secret_b));
}

// ---------------------------------------------------------------- failures

TEST(Bootstrap, TimeoutNamesMissingRank) {
  chorusUniqueId id = LoopbackId();
  Status s0, s1;
  auto start = Clock::now();
  std::thread r0([&] {
    std::unique_ptr<Bootstrap> b;
    s0 = Bootstrap::Create(id, 0, 3, Opts(500), &b);
  });
  std::thread r1([&] {
    std::unique_ptr<Bootstrap> b;
    s1 = Bootstrap::Create(id, 1, 3, Opts(20000), &b);  // longer: it learns of the failure from rank 0
  });
  r0.join();
  r1.join();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  EXPECT_EQ(s0.code(), chorusTimeout) << Describe(s0);
  EXPECT_TRUE(Contains(s0.message(), "missing ranks 2")) << s0.message();
  EXPECT_EQ(s1.code(), chorusRemoteError) << Describe(s1);
  EXPECT_TRUE(Contains(s1.message(), "missing ranks 2")) << s1.message();
  EXPECT_LT(ms, 5000);
  // A joined rank that gives up first is named, and so are the ranks still missing.
  chorusUniqueId id3 = LoopbackId();
  std::thread q1([&] {
    std::unique_ptr<Bootstrap> b;
    s1 = Bootstrap::Create(id3, 1, 3, Opts(300), &b);
  });
  std::unique_ptr<Bootstrap> b0;
  s0 = Bootstrap::Create(id3, 0, 3, Opts(20000), &b0);
  q1.join();
  EXPECT_EQ(s1.code(), chorusTimeout) << Describe(s1);
  EXPECT_EQ(s0.code(), chorusRemoteError) << Describe(s0);
  EXPECT_TRUE(Contains(s0.message(), "rank 1") && Contains(s0.message(), "ranks 2 had not joined")) << s0.message();
  // A member alone times out naming the root it waited for.
  chorusUniqueId lonely = LoopbackId();
  ReleaseUniqueId(lonely);  // nobody listens any more
  std::unique_ptr<Bootstrap> b;
  Status s = Bootstrap::Create(lonely, 1, 2, Opts(300), &b);
  EXPECT_EQ(s.code(), chorusTimeout) << Describe(s);
  EXPECT_TRUE(Contains(s.message(), "rank 0")) << s.message();
}

TEST(Bootstrap, AbortFlagUnblocksWaits) {
  chorusUniqueId id = LoopbackId();
  std::atomic<bool> abort_flag{false};
  std::string err = RunOn(RankMode::kThreads, 2, id, [&](int rank, int nranks, const chorusUniqueId& id) -> std::string {
    std::unique_ptr<Bootstrap> b;
    Status s = Bootstrap::Create(id, rank, nranks, Opts(60000, &abort_flag), &b);
    if (!s.ok()) return Describe(s);
    if (rank == 1) {
      auto start = Clock::now();
      int v;
      s = b->Recv(0, 1, &v, sizeof(v));  // rank 0 never sends
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
      if (s.code() != chorusRemoteError || !Contains(s.message(), "abort")) return "Recv: " + Describe(s);
      if (ms > 3000) return "abort took " + std::to_string(ms) + " ms";
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      abort_flag.store(true);
    }
    return "";
  });
  EXPECT_EQ(err, "");
  // A root waiting for ranks that never come is unblocked too.
  chorusUniqueId id2 = LoopbackId();
  std::atomic<bool> flag2{false};
  std::thread setter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    flag2.store(true);
  });
  std::unique_ptr<Bootstrap> b;
  auto start = Clock::now();
  Status s = Bootstrap::Create(id2, 0, 4, Opts(60000, &flag2), &b);
  setter.join();
  EXPECT_EQ(s.code(), chorusRemoteError) << Describe(s);
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count(), 3000);
}

// Rank 2 leaves right after joining (Close in thread mode, _exit in process mode, as a crash
// would); the others fail fast in a barrier and in a receive from it.
std::string DeadRankBody(int rank, int nranks, const chorusUniqueId& id, bool crash) {
  std::unique_ptr<Bootstrap> b;
  Status s = Bootstrap::Create(id, rank, nranks, Opts(60000), &b);
  if (!s.ok()) return "Create: " + Describe(s);
  if (rank == 2) {
    if (crash) _exit(0);
    b->Close();
    return "";
  }
  auto start = Clock::now();
  s = b->Barrier();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  if (s.code() != chorusRemoteError || !Contains(s.message(), "rank 2")) return "Barrier: " + Describe(s);
  if (ms > 5000) return "Barrier failed only after " + std::to_string(ms) + " ms";
  int v;
  start = Clock::now();
  s = b->Recv(2, 1, &v, sizeof(v));
  ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  if (s.code() != chorusRemoteError || !Contains(s.message(), "rank 2")) return "Recv: " + Describe(s);
  if (ms > 5000) return "Recv failed only after " + std::to_string(ms) + " ms";
  return "";
}

TEST(Bootstrap, DeadRankFailsOthersFast) {
  chorusUniqueId id = LoopbackId();
  EXPECT_EQ(RunOn(RankMode::kThreads, 3, id, [](int r, int n, const chorusUniqueId& i) { return DeadRankBody(r, n, i, false); }), "");
  chorusUniqueId id2 = LoopbackId();
  EXPECT_EQ(RunOn(RankMode::kProcesses, 3, id2, [](int r, int n, const chorusUniqueId& i) { return DeadRankBody(r, n, i, true); }),
            "");
}

// ---------------------------------------------------------------- launch environment

struct EnvGuard {
  std::vector<std::string> names;
  void Set(const char* name, const char* value) {
    names.push_back(name);
    setenv(name, value, 1);
  }
  ~EnvGuard() {
    for (auto& n : names) unsetenv(n.c_str());
  }
};

TEST(LaunchEnv, RankSourcesInOrder) {
  LaunchInfo info;
  EXPECT_EQ(ReadLaunchInfo(&info).code(), chorusInvalidUsage);
  {
    EnvGuard env;
    env.Set("SLURM_PROCID", "3");
    env.Set("SLURM_NTASKS", "8");
    env.Set("SLURM_LOCALID", "1");
    ASSERT_TRUE(ReadLaunchInfo(&info).ok());
    EXPECT_EQ(info.rank, 3);
    EXPECT_EQ(info.world_size, 8);
    EXPECT_EQ(info.local_rank, 1);
    env.Set("PMI_RANK", "2");
    env.Set("PMI_SIZE", "4");
    ASSERT_TRUE(ReadLaunchInfo(&info).ok());
    EXPECT_EQ(info.rank, 2);
    env.Set("OMPI_COMM_WORLD_RANK", "1");
    env.Set("OMPI_COMM_WORLD_SIZE", "2");
    env.Set("OMPI_COMM_WORLD_LOCAL_RANK", "1");
    env.Set("OMPI_COMM_WORLD_LOCAL_SIZE", "2");
    ASSERT_TRUE(ReadLaunchInfo(&info).ok());
    EXPECT_EQ(info.rank, 1);
    EXPECT_EQ(info.local_size, 2);
    env.Set("CHORUS_RANK", "0");
    env.Set("CHORUS_WORLD_SIZE", "5");
    ASSERT_TRUE(ReadLaunchInfo(&info).ok());
    EXPECT_EQ(info.rank, 0);
    EXPECT_EQ(info.world_size, 5);
    EXPECT_EQ(info.source, "CHORUS_RANK/CHORUS_WORLD_SIZE");
  }
  {
    EnvGuard env;
    env.Set("CHORUS_RANK", "x");
    env.Set("CHORUS_WORLD_SIZE", "2");
    Status s = ReadLaunchInfo(&info);
    EXPECT_EQ(s.code(), chorusInvalidArgument);
    EXPECT_TRUE(Contains(s.message(), "CHORUS_RANK")) << s.message();
    env.Set("CHORUS_RANK", "2");
    EXPECT_EQ(ReadLaunchInfo(&info).code(), chorusInvalidArgument);  // rank >= size
    unsetenv("CHORUS_WORLD_SIZE");
    s = ReadLaunchInfo(&info);
    EXPECT_EQ(s.code(), chorusInvalidUsage);
    EXPECT_TRUE(Contains(s.message(), "CHORUS_WORLD_SIZE")) << s.message();
  }
}

TEST(LaunchEnv, Sha256KnownAnswers) {
  auto hex = [](const uint8_t* d) {
    std::string s;
    char b[3];
    for (int i = 0; i < 32; ++i) {
      snprintf(b, sizeof(b), "%02x", d[i]);
      s += b;
    }
    return s;
  };
  uint8_t d[32];
  bootstrap::Sha256("abc", 3, d);
  EXPECT_EQ(hex(d), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  bootstrap::Sha256("", 0, d);
  EXPECT_EQ(hex(d), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const char* two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  bootstrap::Sha256(two, strlen(two), d);
  EXPECT_EQ(hex(d), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(LaunchEnv, UniqueIdFromAddressAndEnvironment) {
  chorusUniqueId a, b, c, d;
  ASSERT_TRUE(UniqueIdFromAddress("127.0.0.1:29500", "token", &a).ok());
  ASSERT_TRUE(UniqueIdFromAddress("127.0.0.1:29500", "token", &b).ok());
  ASSERT_TRUE(UniqueIdFromAddress("127.0.0.1:29500", "other", &c).ok());
  ASSERT_TRUE(UniqueIdFromAddress("127.0.0.1:29500", nullptr, &d).ok());
  EXPECT_EQ(memcmp(a.internal, b.internal, CHORUS_UNIQUE_ID_BYTES), 0);
  EXPECT_NE(memcmp(a.internal, c.internal, CHORUS_UNIQUE_ID_BYTES), 0);
  EXPECT_NE(memcmp(a.internal, d.internal, CHORUS_UNIQUE_ID_BYTES), 0);
  UniqueIdInfo info;
  ASSERT_TRUE(DecodeUniqueId(a, &info).ok());
  EXPECT_EQ(info.host, "127.0.0.1");
  EXPECT_EQ(info.port, 29500);
  ASSERT_TRUE(UniqueIdFromAddress("[::1]:7", "x", &a).ok());
  ASSERT_TRUE(DecodeUniqueId(a, &info).ok());
  EXPECT_EQ(info.host, "::1");
  ASSERT_TRUE(UniqueIdFromAddress("localhost:7", "x", &a).ok());
  for (const char* bad : {"127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", ":5", "::1:5", "[::1]5", "h:p"}) {
    EXPECT_EQ(UniqueIdFromAddress(bad, "x", &a).code(), chorusInvalidArgument) << bad;
  }
  EXPECT_EQ(ReadLaunchUniqueId(&a).code(), chorusInvalidUsage);
  {
    EnvGuard env;
    env.Set("CHORUS_ROOT_ADDR", "127.0.0.1:29500");
    env.Set("CHORUS_SECRET", "token");
    ASSERT_TRUE(ReadLaunchUniqueId(&c).ok());
    ASSERT_TRUE(UniqueIdFromAddress("127.0.0.1:29500", "token", &b).ok());
    EXPECT_EQ(memcmp(c.internal, b.internal, CHORUS_UNIQUE_ID_BYTES), 0);
    std::string text = UniqueIdToString(d);
    env.Set("CHORUS_UNIQUE_ID", text.c_str());  // takes precedence
    ASSERT_TRUE(ReadLaunchUniqueId(&c).ok());
    EXPECT_EQ(memcmp(c.internal, d.internal, CHORUS_UNIQUE_ID_BYTES), 0);
    env.Set("CHORUS_UNIQUE_ID", "nonsense");
    Status s = ReadLaunchUniqueId(&c);
    EXPECT_EQ(s.code(), chorusInvalidArgument);
    EXPECT_TRUE(Contains(s.message(), "CHORUS_UNIQUE_ID")) << s.message();
  }
}

}  // namespace
}  // namespace chorus
