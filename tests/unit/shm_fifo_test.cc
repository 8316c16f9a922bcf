// The shared-memory FIFO on its own: copies (inline, one slot, many, full), references within one
// process and across a fork, and what a reader must survive from a peer: references to unmapped
// memory, a sender that is gone, slot lengths out of range.
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "support/test_support.h"
#include "transports/shm/fifo.h"
#include "transports/shm/windows.h"

namespace chorus::shm {
namespace {

using Clock = std::chrono::steady_clock;
using transport::MessageHeader;

constexpr FifoGeometry kGeo{4, 256};

// One FIFO in memory a forked child shares, zeroed as a fresh segment is.
class SharedFifo {
 public:
  explicit SharedFifo(const FifoGeometry& g = kGeo) : geo_(g), bytes_(g.fifo_bytes()) {
    void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    base_ = p == MAP_FAILED ? nullptr : p;
    if (base_ != nullptr) memset(base_, 0, bytes_);
  }
  ~SharedFifo() {
    if (base_ != nullptr) munmap(base_, bytes_);
  }
  SharedFifo(const SharedFifo&) = delete;
  SharedFifo& operator=(const SharedFifo&) = delete;

  void* base() const { return base_; }
  const FifoGeometry& geo() const { return geo_; }
  // Writes slot `i` (0-based from the FIFO's start) by hand, as a faulty or hostile peer might.
  void WriteRawSlot(uint64_t i, uint64_t len, uint64_t tag = 7, uint64_t msg_bytes = 0) {
    char* s = static_cast<char*>(base_) + sizeof(FifoControl) + (i % geo_.slots) * (sizeof(SlotHeader) + geo_.slot_bytes);
    auto* sh = reinterpret_cast<SlotHeader*>(s);
    sh->tag = tag;
    sh->msg_bytes = msg_bytes;
    sh->len = len;
    sh->seq.store(i + 1, std::memory_order_release);
  }

 private:
  FifoGeometry geo_;
  size_t bytes_;
  void* base_ = nullptr;
};

std::vector<unsigned char> Pattern(size_t n, uint64_t seed) {
  testing::Rng rng(seed);
  std::vector<unsigned char> v(n);
  for (auto& b : v) b = static_cast<unsigned char>(rng.Next());
  return v;
}

// Peeks until something arrives or `seconds` pass.
Status PeekWait(FifoReader& r, MessageHeader* hdr, const void** data, Bytes* n, double seconds = 10) {
  auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  while (true) {
    Status s = r.TryPeek(hdr, data, n);
    if (!s.ok() || *n > 0 || Clock::now() > deadline) return s;
    std::this_thread::yield();
  }
}

// Whether this process may read a child's memory with process_vm_readv (ptrace rules, seccomp).
// Reads a word the child holds at the same address, but with a value only the child has.
std::string CannotReadChildren() {
  static volatile uint64_t word = 0;
  int go[2];
  if (pipe(go) != 0) return "pipe failed";
  word = 0x1111;
  pid_t pid = fork();
  if (pid == 0) {
    close(go[1]);
    char c;
    ssize_t unused = read(go[0], &c, 1);  // until the parent closes its end
    (void)unused;
    _exit(0);
  }
  close(go[0]);
  word = 0x2222;  // the child still holds 0x1111
  uint64_t got = 0;
  iovec local{&got, sizeof(got)};
  iovec far{const_cast<uint64_t*>(&word), sizeof(got)};
  ssize_t n = process_vm_readv(pid, &local, 1, &far, 1, 0);
  const int err = errno;
  close(go[1]);
  waitpid(pid, nullptr, 0);
  if (n != static_cast<ssize_t>(sizeof(got))) return std::string("process_vm_readv: ") + strerror(err);
  if (got != 0x1111) return "process_vm_readv read " + std::to_string(got);
  return "";
}

#define SKIP_UNLESS_CAN_READ_CHILDREN()                                                      \
  do {                                                                                      \
    std::string why = CannotReadChildren();                                                 \
    if (!why.empty()) GTEST_SKIP() << "cannot read a child's memory here (" << why << ")"; \
  } while (0)

// A forked sender's wait for the reader to release its reference (false after 15 s).
bool WaitReleased(FifoWriter& w, uint64_t ticket) {
  auto deadline = Clock::now() + std::chrono::seconds(15);
  while (!w.Released(ticket)) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  return true;
}

// Waits for `pid` to exit and returns its exit status (-1 if it was signalled or never ended).
int ExitCode(pid_t pid, double seconds = 20) {
  auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (Clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// ---- the copy path ----

TEST(ShmFifo, InlineMessageRoundTrip) {
  SharedFifo f;
  ASSERT_NE(f.base(), nullptr);
  FifoWriter w(f.base(), f.geo());
  FifoReader r(f.base(), f.geo(), getpid(), 1);
  MessageHeader hdr{0, 0};
  const void* data = nullptr;
  Bytes n = 99;
  ASSERT_TRUE(r.TryPeek(&hdr, &data, &n).ok());
  EXPECT_EQ(n, 0u) << "an empty FIFO offered bytes";

  auto msg = Pattern(kInlineBytes, 1);
  Bytes taken = 0;
  ASSERT_TRUE(w.TryPush({0x1234, kInlineBytes}, msg.data(), msg.size(), &taken).ok());
  EXPECT_EQ(taken, kInlineBytes);
  ASSERT_TRUE(r.TryPeek(&hdr, &data, &n).ok());
  ASSERT_EQ(n, kInlineBytes);
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(hdr.tag, 0x1234u);
  EXPECT_EQ(hdr.msg_bytes, kInlineBytes);
  EXPECT_EQ(memcmp(data, msg.data(), n), 0);
  r.Consume(n);
  ASSERT_TRUE(r.TryPeek(&hdr, &data, &n).ok());
  EXPECT_EQ(n, 0u) << "a consumed slot was offered again";
}

TEST(ShmFifo, OneFullSlotPartlyConsumedThenReadInto) {
  SharedFifo f;
  FifoWriter w(f.base(), f.geo());
  FifoReader r(f.base(), f.geo(), getpid(), 1);
  auto msg = Pattern(f.geo().slot_bytes, 2);
  Bytes taken = 0;
  ASSERT_TRUE(w.TryPush({5, msg.size()}, msg.data(), msg.size(), &taken).ok());
  ASSERT_EQ(taken, msg.size());
  MessageHeader hdr{};
  const void* data = nullptr;
  Bytes n = 0;
  ASSERT_TRUE(r.TryPeek(&hdr, &data, &n).ok());
  ASSERT_EQ(n, msg.size());
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(memcmp(data, msg.data(), n), 0);
  r.Consume(100);
  ASSERT_TRUE(r.TryPeek(&hdr, &data, &n).ok());
  ASSERT_EQ(n, msg.size() - 100) << "a partial Consume lost the rest of the slot";
  EXPECT_EQ(memcmp(data, msg.data() + 100, n), 0);
  std::vector<unsigned char> rest(n);
  ASSERT_TRUE(r.ReadInto(rest.data(), n).ok());  // ReadInto works on copied slots too
  EXPECT_EQ(memcmp(rest.data(), msg.data() + 100, n), 0);
  ASSERT_TRUE(r.TryPeek(&hdr, &data, &n).ok());
  EXPECT_EQ(n, 0u);
}

TEST(ShmFifo, ManySlotsFillThenProgressAfterConsume) {
  SharedFifo f;
  FifoWriter w(f.base(), f.geo());
  FifoReader r(f.base(), f.geo(), getpid(), 1);
  const Bytes cap = f.geo().slots * f.geo().slot_bytes;
  auto msg = Pattern(cap + 300, 3);
  MessageHeader hdr{9, msg.size()};
  Bytes taken = 0;
  ASSERT_TRUE(w.TryPush(hdr, msg.data(), msg.size(), &taken).ok());
  ASSERT_EQ(taken, cap) << "the FIFO should take exactly its slots' worth";
  Bytes more = 1;
  ASSERT_TRUE(w.TryPush(hdr, msg.data() + taken, msg.size() - taken, &more).ok());
  EXPECT_EQ(more, 0u) << "a full FIFO accepted bytes";

  std::vector<unsigned char> got;
  const void* data = nullptr;
  Bytes n = 0;
  MessageHeader h{};
  ASSERT_TRUE(r.TryPeek(&h, &data, &n).ok());
  ASSERT_EQ(n, f.geo().slot_bytes);
  EXPECT_EQ(h.tag, 9u);
  EXPECT_EQ(h.msg_bytes, msg.size());
  got.insert(got.end(), static_cast<const unsigned char*>(data), static_cast<const unsigned char*>(data) + n);
  r.Consume(n);
  // One slot free again: the writer goes on from where it stopped.
  ASSERT_TRUE(w.TryPush(hdr, msg.data() + taken, msg.size() - taken, &more).ok());
  EXPECT_EQ(more, f.geo().slot_bytes);
  taken += more;
  while (got.size() < msg.size()) {
    ASSERT_TRUE(r.TryPeek(&h, &data, &n).ok());
    ASSERT_GT(n, 0u) << "stalled after " << got.size() << " bytes";
    got.insert(got.end(), static_cast<const unsigned char*>(data), static_cast<const unsigned char*>(data) + n);
    r.Consume(n);
    if (taken < msg.size()) {
      ASSERT_TRUE(w.TryPush(hdr, msg.data() + taken, msg.size() - taken, &more).ok());
      taken += more;
    }
  }
  EXPECT_EQ(got, msg);
}

// ---- references within one process ----

TEST(ShmFifo, RefsNegotiatedThroughControlLine) {
  SharedFifo f;
  FifoWriter w(f.base(), f.geo());
  FifoReader r(f.base(), f.geo(), getpid(), 1);
  EXPECT_FALSE(w.receiver_reads_refs()) << "a fresh (zeroed) FIFO must not allow references";
  EXPECT_EQ(w.ref_min_bytes(nullptr, 1 << 20), 0u);
  EXPECT_FALSE(w.takes_refs());
  EXPECT_FALSE(w.receiver_maps_windows());
  r.AcceptRefs(true, false);
  EXPECT_TRUE(w.receiver_reads_refs());
  EXPECT_FALSE(w.receiver_maps_windows());
  r.AcceptRefs(false, true);  // e.g. Yama ptrace_scope=1: no process_vm_readv, but windows map
  EXPECT_FALSE(w.receiver_reads_refs());
  EXPECT_TRUE(w.receiver_maps_windows());
  r.AcceptRefs(false, false);
  EXPECT_FALSE(w.receiver_reads_refs());
  EXPECT_FALSE(w.receiver_maps_windows());
  w.EnableRefs(4096, 0);
  EXPECT_TRUE(w.takes_refs());
  EXPECT_EQ(w.ref_min_bytes(nullptr, 1 << 20), 4096u);
}

TEST(ShmFifo, SameProcessReferenceReadInPieces) {
  SharedFifo f;
  FifoWriter w(f.base(), f.geo());
  FifoReader r(f.base(), f.geo(), getpid(), 2);
  auto src = Pattern(10007, 4);
  uint64_t ticket = 0;
  ASSERT_TRUE(w.TryPushRef({42, src.size()}, src.data(), src.size(), &ticket).ok());
  ASSERT_NE(ticket, 0u);
  EXPECT_FALSE(w.Released(ticket)) << "released before the receiver read anything";

  std::vector<unsigned char> dst(src.size(), 0);
  Bytes done = 0;
  for (Bytes piece : {Bytes{1}, Bytes{3000}, Bytes{4096}}) {
    MessageHeader hdr{};
    const void* data = reinterpret_cast<const void*>(1);
    Bytes n = 0;
    ASSERT_TRUE(r.TryPeek(&hdr, &data, &n).ok());
    EXPECT_EQ(data, nullptr) << "a reference must not offer a pointer";
    EXPECT_EQ(n, src.size() - done);
    EXPECT_EQ(hdr.tag, 42u);
    EXPECT_EQ(hdr.msg_bytes, src.size());
    ASSERT_TRUE(r.ReadInto(dst.data() + done, piece).ok());
    done += piece;
    EXPECT_FALSE(w.Released(ticket)) << "released with " << src.size() - done << " bytes unread";
  }
  MessageHeader hdr{};
  const void* data = nullptr;
  Bytes n = 0;
  ASSERT_TRUE(r.TryPeek(&hdr, &data, &n).ok());
  ASSERT_EQ(n, src.size() - done);
  ASSERT_TRUE(r.ReadInto(dst.data() + done, n).ok());
  EXPECT_TRUE(w.Released(ticket));
  EXPECT_EQ(dst, src);
  ASSERT_TRUE(r.TryPeek(&hdr, &data, &n).ok());
  EXPECT_EQ(n, 0u);
}

// A peer may rewrite a slot between the reader's TryPeek and its ReadInto: the reader must use what
// TryPeek checked (a 1 MiB reference), not the new fields (a 16-byte copy whose inline data would
// then be read 1 MiB past the slot).
TEST(ShmFifoMalformed, SlotRewrittenBetweenPeekAndReadInto) {
  SharedFifo f;
  FifoWriter w(f.base(), f.geo());
  FifoReader r(f.base(), f.geo(), getpid(), 3);
  auto src = Pattern(1 << 20, 9);
  uint64_t ticket = 0;
  ASSERT_TRUE(w.TryPushRef({5, src.size()}, src.data(), src.size(), &ticket).ok());
  MessageHeader hdr{};
  const void* data = nullptr;
  Bytes n = 0;
  ASSERT_TRUE(r.TryPeek(&hdr, &data, &n).ok());
  ASSERT_EQ(n, src.size());
  f.WriteRawSlot(0, 16);  // now claims a 16-byte inline copy
  std::vector<unsigned char> dst(src.size(), 0);
  ASSERT_TRUE(r.ReadInto(dst.data(), n).ok());
  EXPECT_EQ(dst, src) << "the reference TryPeek validated is what is read";
  EXPECT_FALSE(r.ReadInto(dst.data(), 1).ok()) << "nothing was peeked since";
}

// Within one process too, a reference is read through the kernel: an address the sender does not
// have is an error, not a crash (a freed buffer, or a peer with our pid in another pid namespace).
TEST(ShmFifoMalformed, SameProcessBadAddressIsAnError) {
  SharedFifo f;
  FifoWriter w(f.base(), f.geo());
  FifoReader r(f.base(), f.geo(), getpid(), 4);
  void* hole = mmap(nullptr, 1 << 16, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(hole, MAP_FAILED);
  munmap(hole, 1 << 16);  // an address range nobody has now
  uint64_t ticket = 0;
  ASSERT_TRUE(w.TryPushRef({6, 4096}, hole, 4096, &ticket).ok());
  MessageHeader hdr{};
  const void* data = nullptr;
  Bytes n = 0;
  ASSERT_TRUE(r.TryPeek(&hdr, &data, &n).ok());
  std::vector<unsigned char> dst(4096);
  Status st = r.ReadInto(dst.data(), n);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("rank 4"), std::string::npos) << st.message();
}

TEST(ShmFifo, ReferencesAndCopiesInterleaveAndTicketsOrder) {
  SharedFifo f;
  FifoWriter w(f.base(), f.geo());
  FifoReader r(f.base(), f.geo(), getpid(), 1);
  auto a = Pattern(5000, 5), b = Pattern(20, 6), c = Pattern(70000, 7);
  uint64_t ta = 0, tc = 0;
  Bytes taken = 0;
  ASSERT_TRUE(w.TryPushRef({1, a.size()}, a.data(), a.size(), &ta).ok());
  ASSERT_TRUE(w.TryPush({2, b.size()}, b.data(), b.size(), &taken).ok());
  ASSERT_EQ(taken, b.size());
  ASSERT_TRUE(w.TryPushRef({3, c.size()}, c.data(), c.size(), &tc).ok());
  ASSERT_NE(ta, 0u);
  ASSERT_GT(tc, ta);
  // Three of four slots used: one more reference fits, then the FIFO is full.
  uint64_t t4 = 0, t5 = 0;
  ASSERT_TRUE(w.TryPushRef({4, a.size()}, a.data(), a.size(), &t4).ok());
  ASSERT_NE(t4, 0u);
  ASSERT_TRUE(w.TryPushRef({5, a.size()}, a.data(), a.size(), &t5).ok());
  EXPECT_EQ(t5, 0u) << "a full FIFO took a reference";

  MessageHeader hdr{};
  const void* data = nullptr;
  Bytes n = 0;
  std::vector<unsigned char> got(a.size());
  ASSERT_TRUE(r.TryPeek(&hdr, &data, &n).ok());
  ASSERT_EQ(hdr.tag, 1u);
  ASSERT_TRUE(r.ReadInto(got.data(), n).ok());
  EXPECT_EQ(got, a);
  EXPECT_TRUE(w.Released(ta));
  EXPECT_FALSE(w.Released(tc));
  ASSERT_TRUE(r.TryPeek(&hdr, &data, &n).ok());
  ASSERT_EQ(hdr.tag, 2u);
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(memcmp(data, b.data(), n), 0);
  r.Consume(n);
  // The freed slots take a reference again.
  ASSERT_TRUE(w.TryPushRef({5, a.size()}, a.data(), a.size(), &t5).ok());
  EXPECT_GT(t5, t4);
  got.assign(c.size(), 0);
  ASSERT_TRUE(r.TryPeek(&hdr, &data, &n).ok());
  ASSERT_EQ(hdr.tag, 3u);
  ASSERT_EQ(n, c.size()) << "a reference may exceed the slot size";
  ASSERT_TRUE(r.ReadInto(got.data(), n).ok());
  EXPECT_EQ(got, c);
  EXPECT_TRUE(w.Released(tc));
  EXPECT_FALSE(w.Released(t4));
}

TEST(ShmFifo, ReferenceLengthsRefusedBySender) {
  SharedFifo f;
  FifoWriter w(f.base(), f.geo());
  char x = 0;
  uint64_t ticket = 5;
  EXPECT_FALSE(w.TryPushRef({1, 0}, &x, 0, &ticket).ok());
  EXPECT_EQ(ticket, 0u);
  EXPECT_FALSE(w.TryPushRef({1, 0}, &x, kRefLenMask + 1, &ticket).ok());
  EXPECT_EQ(ticket, 0u);
}

// A writer and a reader on two threads, copies and references mixed at random sizes; the writer
// rewrites a referenced buffer only once Released says so, so any early release shows as bad bytes.
TEST(ShmFifo, ThreadedStreamOfCopiesAndReferences) {
  SharedFifo f(FifoGeometry{4, 1024});
  FifoWriter w(f.base(), f.geo());
  FifoReader r(f.base(), f.geo(), getpid(), 1);
  constexpr int kMessages = 3000;
  std::atomic<bool> failed{false};
  std::string reader_error;
  auto body = [](int m, size_t len, std::vector<unsigned char>& v) {
    v.resize(len);
    for (size_t i = 0; i < len; ++i) v[i] = static_cast<unsigned char>(m * 131 + i * 7);
  };
  auto size_of = [](int m) { return static_cast<size_t>(1 + (m * 2654435761u) % 9000); };
  std::thread reader([&] {
    std::vector<unsigned char> want, got;
    testing::Rng rng(11);
    for (int m = 0; m < kMessages && !failed; ++m) {
      body(m, size_of(m), want);
      got.assign(want.size(), 0);
      size_t done = 0;
      auto deadline = Clock::now() + std::chrono::seconds(20);
      while (done < want.size()) {
        MessageHeader hdr{};
        const void* data = nullptr;
        Bytes n = 0;
        Status s = r.TryPeek(&hdr, &data, &n);
        if (!s.ok()) { reader_error = s.message(); failed = true; return; }
        if (n == 0) {
          if (Clock::now() > deadline) { reader_error = "stalled in message " + std::to_string(m); failed = true; return; }
          std::this_thread::yield();
          continue;
        }
        if (hdr.tag != static_cast<uint64_t>(m)) { reader_error = "message " + std::to_string(m) + " got tag " + std::to_string(hdr.tag); failed = true; return; }
        Bytes k = std::min<Bytes>(n, 1 + rng.Below(n));
        s = r.ReadInto(got.data() + done, k);
        if (!s.ok()) { reader_error = s.message(); failed = true; return; }
        done += k;
      }
      if (got != want) { reader_error = "message " + std::to_string(m) + " has wrong bytes"; failed = true; return; }
    }
  });
  std::vector<unsigned char> buf;
  for (int m = 0; m < kMessages && !failed; ++m) {
    body(m, size_of(m), buf);
    MessageHeader hdr{static_cast<uint64_t>(m), buf.size()};
    auto deadline = Clock::now() + std::chrono::seconds(20);
    if (m % 3 != 0 && buf.size() > 64) {
      uint64_t ticket = 0;
      while (ticket == 0 && !failed) {
        if (!w.TryPushRef(hdr, buf.data(), buf.size(), &ticket).ok()) failed = true;
        if (ticket == 0) std::this_thread::yield();
        if (Clock::now() > deadline) failed = true;
      }
      while (!failed && !w.Released(ticket)) {
        std::this_thread::yield();
        if (Clock::now() > deadline) failed = true;
      }
      // Overwrite at once: a reader still copying would see this.
      memset(buf.data(), 0xEE, buf.size());
    } else {
      Bytes sent = 0;
      while (sent < buf.size() && !failed) {
        Bytes taken = 0;
        if (!w.TryPush(hdr, buf.data() + sent, buf.size() - sent, &taken).ok()) failed = true;
        sent += taken;
        if (taken == 0) std::this_thread::yield();
        if (Clock::now() > deadline) failed = true;
      }
    }
  }
  reader.join();
  EXPECT_FALSE(failed) << reader_error;
}

// Streaming pushes (CHORUS_SHM_PUSH=streamed) and plain ones deliver the same bytes: messages
// from a misaligned source, longer than the FIFO, pieces both above and below the streaming
// threshold, read by another thread in random pieces while the writer refills slots.
TEST(ShmFifo, PushStoresDeliverEveryByte) {
  for (PushStores mode : {PushStores::kStreamed, PushStores::kCached, PushStores::kAuto}) {
    SharedFifo f(FifoGeometry{4, 8192});
    FifoWriter w(f.base(), f.geo());
    w.SetPushStores(mode, 1);
    FifoReader r(f.base(), f.geo(), getpid(), 0);
    const std::vector<size_t> sizes = {100003, 4096, 4095, 8192 * 4 + 17, 1, 65536};
    std::vector<std::vector<unsigned char>> msgs;
    for (size_t m = 0; m < sizes.size(); ++m) msgs.push_back(Pattern(sizes[m] + 1, 50 + m));
    std::string reader_error;
    std::thread reader([&] {
      testing::Rng rng(5);
      for (size_t m = 0; m < msgs.size() && reader_error.empty(); ++m) {
        std::vector<unsigned char> got(sizes[m], 0);
        size_t done = 0;
        const auto deadline = Clock::now() + std::chrono::seconds(20);
        while (done < got.size()) {
          MessageHeader hdr{};
          const void* data = nullptr;
          Bytes n = 0;
          Status st = r.TryPeek(&hdr, &data, &n);
          if (!st.ok()) { reader_error = st.message(); return; }
          if (n == 0) {
            if (Clock::now() > deadline) { reader_error = "stalled in message " + std::to_string(m); return; }
            std::this_thread::yield();
            continue;
          }
          const Bytes k = std::min<Bytes>(n, 1 + rng.Below(n));
          st = r.ReadInto(got.data() + done, k);
          if (!st.ok()) { reader_error = st.message(); return; }
          done += k;
        }
        if (memcmp(got.data(), msgs[m].data() + 1, got.size()) != 0) reader_error = "message " + std::to_string(m) + " has wrong bytes";
      }
    });
    for (size_t m = 0; m < msgs.size(); ++m) {
      MessageHeader hdr{m, sizes[m]};
      Bytes sent = 0;
      const auto deadline = Clock::now() + std::chrono::seconds(20);
      while (sent < sizes[m] && Clock::now() < deadline) {
        Bytes taken = 0;
        ASSERT_TRUE(w.TryPush(hdr, msgs[m].data() + 1 + sent, sizes[m] - sent, &taken).ok());
        sent += taken;
        if (taken == 0) std::this_thread::yield();
      }
      EXPECT_EQ(sent, sizes[m]) << "message " << m;
    }
    reader.join();
    EXPECT_EQ(reader_error, "") << "push stores " << static_cast<int>(mode);
  }
}

// ---- references across processes ----

TEST(ShmFifo, CrossProcessReference) {
  SKIP_UNLESS_CAN_READ_CHILDREN();
  SharedFifo f;
  const size_t size = 300007;
  pid_t pid = fork();
  if (pid == 0) {
    // Private memory the parent cannot see except through process_vm_readv.
    auto buf = Pattern(size, 8);
    FifoWriter w(f.base(), f.geo());
    uint64_t ticket = 0;
    if (!w.TryPushRef({77, size}, buf.data(), size, &ticket).ok() || ticket == 0) _exit(2);
    _exit(WaitReleased(w, ticket) ? 0 : 3);
  }
  ASSERT_GT(pid, 0);
  FifoReader r(f.base(), f.geo(), pid, 1);
  MessageHeader hdr{};
  const void* data = nullptr;
  Bytes n = 0;
  Status s = PeekWait(r, &hdr, &data, &n);
  std::vector<unsigned char> got(size, 0);
  if (s.ok() && n == size && data == nullptr) {
    s = r.ReadInto(got.data(), 100000);
    if (s.ok()) s = r.ReadInto(got.data() + 100000, size - 100000);
  }
  int code = ExitCode(pid);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(n, size);
  EXPECT_EQ(data, nullptr);
  EXPECT_EQ(hdr.tag, 77u);
  EXPECT_EQ(got, Pattern(size, 8)) << "the bytes read from the child differ from its buffer";
  EXPECT_EQ(code, 0) << "the child did not see its reference released";
}

// A child posts a reference to memory it does not have mapped (all of it, or only its second
// half), then waits alive: the read must fail cleanly and name the rank.
class ShmFifoMalformed : public ::testing::TestWithParam<bool> {};

TEST_P(ShmFifoMalformed, UnmappedReferenceIsARemoteErrorNamingTheRank) {
  SKIP_UNLESS_CAN_READ_CHILDREN();
  const bool half_mapped = GetParam();
  SharedFifo f;
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  int done[2];
  ASSERT_EQ(pipe(done), 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(done[1]);
    void* p = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) _exit(2);
    memset(p, 0x5A, page);
    if (half_mapped) {
      munmap(static_cast<char*>(p) + page, page);
    } else {
      munmap(p, 2 * page);
    }
    FifoWriter w(f.base(), f.geo());
    uint64_t ticket = 0;
    if (!w.TryPushRef({1, 2 * page}, p, 2 * page, &ticket).ok() || ticket == 0) _exit(3);
    char c;
    ssize_t unused = read(done[0], &c, 1);  // stay alive until the parent has read
    (void)unused;
    _exit(0);
  }
  close(done[0]);
  ASSERT_GT(pid, 0);
  FifoReader r(f.base(), f.geo(), pid, 5);
  MessageHeader hdr{};
  const void* data = nullptr;
  Bytes n = 0;
  Status peek = PeekWait(r, &hdr, &data, &n);
  std::vector<unsigned char> dst(2 * page, 0);
  Status s = peek.ok() && n == 2 * page ? r.ReadInto(dst.data(), n) : Status::Ok();
  close(done[1]);
  EXPECT_EQ(ExitCode(pid), 0);
  ASSERT_TRUE(peek.ok()) << peek.message();
  ASSERT_EQ(n, 2 * page);
  ASSERT_FALSE(s.ok()) << "reading unmapped memory of the sender succeeded";
  EXPECT_EQ(s.code(), chorusRemoteError);
  EXPECT_NE(s.message().find("rank 5"), std::string::npos) << s.message();
}

INSTANTIATE_TEST_SUITE_P(Unmapped, ShmFifoMalformed, ::testing::Values(false, true),
                         [](const auto& info) { return std::string(info.param ? "SecondHalf" : "Whole"); });

// A sender that posted a reference and exited: reaped (no such process) or still a zombie.
class ShmFifoSenderGone : public ::testing::TestWithParam<bool> {};

TEST_P(ShmFifoSenderGone, ReadFailsSayingTheRankDied) {
  SKIP_UNLESS_CAN_READ_CHILDREN();
  const bool reaped = GetParam();
  SharedFifo f;
  pid_t pid = fork();
  if (pid == 0) {
    auto buf = Pattern(8192, 9);
    FifoWriter w(f.base(), f.geo());
    uint64_t ticket = 0;
    if (!w.TryPushRef({1, buf.size()}, buf.data(), buf.size(), &ticket).ok() || ticket == 0) _exit(3);
    _exit(0);
  }
  ASSERT_GT(pid, 0);
  if (reaped) {
    ASSERT_EQ(ExitCode(pid), 0);
  } else {
    siginfo_t info{};
    ASSERT_EQ(waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT), 0);  // exited, not reaped
  }
  FifoReader r(f.base(), f.geo(), pid, 3);
  MessageHeader hdr{};
  const void* data = nullptr;
  Bytes n = 0;
  Status peek = PeekWait(r, &hdr, &data, &n, 1);
  std::vector<unsigned char> dst(8192);
  Status s = peek.ok() && n == dst.size() ? r.ReadInto(dst.data(), n) : Status::Ok();
  if (!reaped) {
    EXPECT_EQ(ExitCode(pid), 0);
  }
  ASSERT_TRUE(peek.ok()) << peek.message();
  ASSERT_EQ(n, dst.size());
  ASSERT_FALSE(s.ok()) << "read the memory of a process that exited";
  EXPECT_EQ(s.code(), chorusRemoteError);
  EXPECT_NE(s.message().find("rank 3"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("died"), std::string::npos) << s.message();
}

INSTANTIATE_TEST_SUITE_P(Exited, ShmFifoSenderGone, ::testing::Values(true, false),
                         [](const auto& info) { return std::string(info.param ? "Reaped" : "Zombie"); });

// ---- slot headers a peer got wrong ----

struct BadLen {
  const char* name;
  uint64_t len;
};
void PrintTo(const BadLen& b, std::ostream* os) { *os << b.name; }

class ShmFifoBadLength : public ::testing::TestWithParam<BadLen> {};

TEST_P(ShmFifoBadLength, PeekRefusesNamingTheRank) {
  SharedFifo f;
  FifoReader r(f.base(), f.geo(), getpid(), 6);
  f.WriteRawSlot(0, GetParam().len);
  MessageHeader hdr{};
  const void* data = nullptr;
  Bytes n = 0;
  Status s = r.TryPeek(&hdr, &data, &n);
  ASSERT_FALSE(s.ok()) << GetParam().name << " was accepted (n=" << n << ")";
  EXPECT_EQ(s.code(), chorusRemoteError);
  EXPECT_NE(s.message().find("rank 6"), std::string::npos) << s.message();
}

INSTANTIATE_TEST_SUITE_P(
    Lengths, ShmFifoBadLength,
    ::testing::Values(BadLen{"CopyZero", 0}, BadLen{"CopyOverSlot", kGeo.slot_bytes + 1},
                      BadLen{"CopyHuge", ~kRefFlag}, BadLen{"RefZero", kRefFlag},
                      BadLen{"RefOverMask", kRefFlag | (kRefLenMask + 1)}, BadLen{"RefAllBits", ~uint64_t{0}}),
    [](const auto& info) { return std::string(info.param.name); });

// The bounds themselves are accepted, so the refusals above are about the lengths alone.
TEST(ShmFifo, BoundaryLengthsAccepted) {
  for (uint64_t len : {uint64_t{1}, kGeo.slot_bytes, kRefFlag | 1, kRefFlag | kRefLenMask}) {
    SharedFifo f;
    FifoReader r(f.base(), f.geo(), getpid(), 6);
    f.WriteRawSlot(0, len, 3, 1);
    MessageHeader hdr{};
    const void* data = nullptr;
    Bytes n = 0;
    Status s = r.TryPeek(&hdr, &data, &n);
    ASSERT_TRUE(s.ok()) << "len " << len << ": " << s.message();
    EXPECT_EQ(n, len & ~kRefFlag);
    EXPECT_EQ(data == nullptr, (len & kRefFlag) != 0);
    EXPECT_EQ(hdr.tag, 3u);
  }
}

// ---- shared windows (chorusMemAlloc) ----

// A FIFO within this process whose writer sends window references from 64 bytes and whose reader
// (rank 2) maps windows.
struct WindowFifo {
  SharedFifo f;
  FifoWriter w{f.base(), f.geo()};
  PeerWindows windows;
  FifoReader r{f.base(), f.geo(), getpid(), 2, &windows};
  WindowFifo() { w.EnableRefs(0, 64); }
};

TEST(ShmWindows, FindFreeAndErrors) {
  void* p = nullptr;
  EXPECT_FALSE(AllocWindow(0, &p).ok());
  ASSERT_TRUE(AllocWindow(10000, &p).ok());
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(static_cast<unsigned char*>(p)[9999], 0) << "windows start zeroed";
  WindowRef ref;
  EXPECT_TRUE(FindWindow(static_cast<char*>(p) + 100, 9900, &ref));
  EXPECT_EQ(ref.offset, 100u);
  EXPECT_GE(ref.fd, 0);
  EXPECT_FALSE(FindWindow(static_cast<char*>(p) + 100, 9901, &ref)) << "a range past the window's end";
  std::vector<char> heap(64);
  EXPECT_FALSE(FindWindow(heap.data(), 64, &ref));
  EXPECT_FALSE(FreeWindow(heap.data()).ok());
  EXPECT_FALSE(FreeWindow(static_cast<char*>(p) + 1).ok()) << "only the start address frees";
  ASSERT_TRUE(FreeWindow(p).ok());
  EXPECT_FALSE(FreeWindow(p).ok()) << "a second free is refused";
  EXPECT_FALSE(FindWindow(p, 1, &ref));
}

TEST(ShmWindows, WriterOffersWindowReferencesFromTheirOwnThreshold) {
  SharedFifo f;
  FifoWriter w(f.base(), f.geo());
  void* win = nullptr;
  ASSERT_TRUE(AllocWindow(1 << 20, &win).ok());
  std::vector<char> heap(1 << 20);
  w.EnableRefs(0, 4096);
  EXPECT_EQ(w.ref_min_bytes(win, 1 << 20), 4096u);
  EXPECT_EQ(w.ref_min_bytes(win, 100), 0u) << "below the threshold: copies";
  EXPECT_EQ(w.ref_min_bytes(heap.data(), 1 << 20), 0u) << "heap memory: no plain references configured";
  w.EnableRefs(1 << 16, 4096);
  EXPECT_EQ(w.ref_min_bytes(heap.data(), 1 << 20), Bytes{1} << 16);
  EXPECT_EQ(w.ref_min_bytes(win, 1 << 20), 4096u);
  ASSERT_TRUE(FreeWindow(win).ok());
}

// Within one process: the reader maps the window through /proc/self/fd and reads it in pieces;
// the mapping is kept for the next reference into the same window.
TEST(ShmWindows, SameProcessReferenceIsReadThroughAMapping) {
  WindowFifo wf;
  auto& [f, w, windows, r] = wf;
  void* win = nullptr;
  const size_t size = 300007;
  ASSERT_TRUE(AllocWindow(size + 64, &win).ok());
  auto src = Pattern(size, 11);
  char* at = static_cast<char*>(win) + 64;
  memcpy(at, src.data(), size);
  std::vector<unsigned char> dst(size, 0);
  for (int round = 0; round < 2; ++round) {
    uint64_t ticket = 0;
    ASSERT_TRUE(w.TryPushRef({9, size}, at, size, &ticket).ok());
    ASSERT_NE(ticket, 0u);
    MessageHeader hdr{};
    const void* data = nullptr;
    Bytes n = 0;
    ASSERT_TRUE(r.TryPeek(&hdr, &data, &n).ok());
    ASSERT_EQ(n, size);
    EXPECT_EQ(data, nullptr);
    ASSERT_TRUE(r.ReadInto(dst.data(), 1000, /*stream=*/true).ok());
    EXPECT_FALSE(w.Released(ticket));
    ASSERT_TRUE(r.TryPeek(&hdr, &data, &n).ok());
    ASSERT_TRUE(r.ReadInto(dst.data() + 1000, n).ok());
    EXPECT_TRUE(w.Released(ticket));
    EXPECT_EQ(dst, src);
    EXPECT_EQ(windows.mapped(), 1u) << "round " << round;
  }
  ASSERT_TRUE(FreeWindow(win).ok());
}

// A child's window, which the parent can reach only through /proc/<child>/fd (or the kernel).
TEST(ShmWindows, CrossProcessReferenceIsMapped) {
  SKIP_UNLESS_CAN_READ_CHILDREN();
  SharedFifo f;
  const size_t size = 1 << 20;
  pid_t pid = fork();
  if (pid == 0) {
    void* win = nullptr;
    if (!AllocWindow(size, &win).ok()) _exit(4);
    auto buf = Pattern(size, 12);
    memcpy(win, buf.data(), size);
    FifoWriter w(f.base(), f.geo());
    w.EnableRefs(0, 4096);
    uint64_t ticket = 0;
    if (!w.TryPushRef({78, size}, win, size, &ticket).ok() || ticket == 0) _exit(2);
    _exit(WaitReleased(w, ticket) ? 0 : 3);
  }
  ASSERT_GT(pid, 0);
  PeerWindows windows;
  FifoReader r(f.base(), f.geo(), pid, 1, &windows);
  MessageHeader hdr{};
  const void* data = nullptr;
  Bytes n = 0;
  Status s = PeekWait(r, &hdr, &data, &n);
  std::vector<unsigned char> got(size, 0);
  if (s.ok() && n == size) s = r.ReadInto(got.data(), size);
  const size_t mapped = windows.mapped();
  int code = ExitCode(pid);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(got, Pattern(size, 12));
  EXPECT_EQ(mapped, 1u) << "read through the kernel, not through a mapping";
  EXPECT_EQ(code, 0);
}

// A window reference naming a window that is not there (a reused descriptor, a wrong inode) is
// read the slow way from the address it also carries: right bytes when that address is good, a
// clean error naming the rank when it is not.
TEST(ShmWindowsMalformed, WrongInodeFallsBackToTheAddress) {
  SharedFifo f;
  PeerWindows windows;
  FifoReader r(f.base(), f.geo(), getpid(), 5, &windows);
  void* win = nullptr;
  ASSERT_TRUE(AllocWindow(8192, &win).ok());
  auto src = Pattern(8192, 13);
  memcpy(win, src.data(), src.size());
  WindowRef real;
  ASSERT_TRUE(FindWindow(win, 8192, &real));
  void* hole = mmap(nullptr, 1 << 16, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(hole, MAP_FAILED);
  munmap(hole, 1 << 16);
  auto write_ref = [&](uint64_t slot, uint64_t addr, uint64_t inode, uint64_t offset) {
    char* s = static_cast<char*>(f.base()) + sizeof(FifoControl) + (slot % f.geo().slots) * (sizeof(SlotHeader) + f.geo().slot_bytes);
    const WindowSlotRef ref{addr, inode, offset, real.fd, 0};
    memcpy(reinterpret_cast<SlotHeader*>(s)->inline_data, &ref, sizeof(ref));
    f.WriteRawSlot(slot, 8192 | kRefFlag | kWindowFlag, 7, 8192);
  };
  std::vector<unsigned char> dst(8192, 0);
  MessageHeader hdr{};
  const void* data = nullptr;
  Bytes n = 0;
  write_ref(0, reinterpret_cast<uintptr_t>(win), real.inode + 12345, 0);
  ASSERT_TRUE(r.TryPeek(&hdr, &data, &n).ok());
  ASSERT_TRUE(r.ReadInto(dst.data(), n).ok());
  EXPECT_EQ(dst, src);
  EXPECT_EQ(windows.mapped(), 0u);
  write_ref(1, reinterpret_cast<uintptr_t>(hole), real.inode, 1 << 30);  // offset far outside
  ASSERT_TRUE(r.TryPeek(&hdr, &data, &n).ok());
  Status st = r.ReadInto(dst.data(), n);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("rank 5"), std::string::npos) << st.message();
  ASSERT_TRUE(FreeWindow(win).ok());
}

// Windows a sender frees are unmapped by the receiver at its next new mapping, so a program that
// allocates a fresh buffer per call does not pile up mappings.
TEST(ShmWindows, FreedWindowsAreDropped) {
  WindowFifo wf;
  auto& [f, w, windows, r] = wf;
  std::vector<unsigned char> dst(4096);
  for (int i = 0; i < 100; ++i) {
    void* win = nullptr;
    ASSERT_TRUE(AllocWindow(4096, &win).ok());
    memset(win, i, 4096);
    uint64_t ticket = 0;
    ASSERT_TRUE(w.TryPushRef({1, 4096}, win, 4096, &ticket).ok());
    MessageHeader hdr{};
    const void* data = nullptr;
    Bytes n = 0;
    ASSERT_TRUE(r.TryPeek(&hdr, &data, &n).ok());
    ASSERT_TRUE(r.ReadInto(dst.data(), n).ok());
    ASSERT_EQ(dst[4095], static_cast<unsigned char>(i));
    ASSERT_TRUE(FreeWindow(win).ok());
    ASSERT_LE(windows.mapped(), 2u) << "after " << i + 1 << " windows";
  }
}

// A window that is not sealed against shrinking (a peer's own memfd, say) could SIGBUS its reader
// once truncated: it is never mapped; its references are read the slow way, and the refusal is
// remembered rather than retried at every piece.
TEST(ShmWindowsMalformed, UnsealedWindowIsNotMapped) {
  SharedFifo f;
  PeerWindows windows;
  FifoReader r(f.base(), f.geo(), getpid(), 6, &windows);
  const int fd = memfd_create("chorus-window", MFD_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, 8192), 0);
  void* p = mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ASSERT_NE(p, MAP_FAILED);
  auto src = Pattern(8192, 14);
  memcpy(p, src.data(), src.size());
  struct stat sb{};
  ASSERT_EQ(fstat(fd, &sb), 0);
  const char* direct = nullptr;
  EXPECT_FALSE(windows.Map(getpid(), WindowRef{static_cast<uint64_t>(sb.st_ino), 0, fd}, 8192, &direct).ok());
  for (uint64_t slot = 0; slot < 2; ++slot) {
    char* s = static_cast<char*>(f.base()) + sizeof(FifoControl) + (slot % f.geo().slots) * (sizeof(SlotHeader) + f.geo().slot_bytes);
    const WindowSlotRef ref{reinterpret_cast<uintptr_t>(p), static_cast<uint64_t>(sb.st_ino), 0, fd, 0};
    memcpy(reinterpret_cast<SlotHeader*>(s)->inline_data, &ref, sizeof(ref));
    f.WriteRawSlot(slot, 8192 | kRefFlag | kWindowFlag, 7, 8192);
    MessageHeader hdr{};
    const void* data = nullptr;
    Bytes n = 0;
    ASSERT_TRUE(r.TryPeek(&hdr, &data, &n).ok());
    std::vector<unsigned char> dst(8192, 0);
    ASSERT_TRUE(r.ReadInto(dst.data(), n).ok());
    EXPECT_EQ(dst, src) << "slot " << slot;
    EXPECT_EQ(windows.mapped(), 0u);
  }
  munmap(p, 8192);
  close(fd);
}

}  // namespace
}  // namespace chorus::shm
