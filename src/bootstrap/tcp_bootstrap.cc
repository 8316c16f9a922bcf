// The TCP bootstrap: a star around rank 0 for joining, all-gathers and barriers, and direct
// connections (made on first use, one per direction) for point-to-point messages.
//
// Everything runs in the calling thread: each blocking call loops over Progress(), which polls every
// socket this rank owns for at most kAbortPollMs, accepts and authenticates new connections, moves
// pending output and cuts input into frames. Because every wait also drains every socket, two ranks
// sending large messages to each other cannot deadlock on full socket buffers.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>

#include "bootstrap/bootstrap.h"
#include "bootstrap/connection.h"
#include "bootstrap/listen_registry.h"
#include "bootstrap/socket.h"
#include "bootstrap/wire.h"
#include "core/log.h"

namespace chorus {

namespace bootstrap {
namespace {

constexpr int kMaxRanks = 1 << 22;
constexpr size_t kMaxPendingConnections = 256;
// A rank reported gone by the root may still have a connection to us in flight; give it this long.
constexpr auto kLeftGrace = std::chrono::milliseconds(1000);

constexpr uint32_t Bit(FrameKind k) { return 1u << static_cast<uint32_t>(k); }

enum class CollOp : uint32_t { kAllGather = 1, kBarrier = 2 };

const char* CollName(uint32_t op) {
  switch (op) {
    case 1: return "allgather";
    case 2: return "barrier";
    default: return "unknown collective";
  }
}

std::string CollLabel(uint32_t tag) {
  return std::string(CollName(tag >> 28)) + " #" + std::to_string(tag & 0x0fffffffu);
}

// "2,5-7" for {2,5,6,7}.
std::string FormatRanks(const std::vector<Rank>& ranks) {
  std::string out;
  for (size_t i = 0; i < ranks.size();) {
    size_t j = i;
    while (j + 1 < ranks.size() && ranks[j + 1] == ranks[j] + 1) ++j;
    if (!out.empty()) out += ",";
    out += std::to_string(ranks[i]);
    if (j > i) out += "-" + std::to_string(ranks[j]);
    i = j + 1;
  }
  return out;
}

struct PendingConnection {
  int fd = -1;
  std::string from;
  uint8_t hello[kHelloBytes] = {};
  size_t got = 0;
};

class TcpBootstrap final : public Bootstrap {
 public:
  TcpBootstrap(Rank rank, int nranks, const UniqueIdInfo& info, const BootstrapOptions& opts)
      : rank_(rank), nranks_(nranks), opts_(opts), addrs_(nranks), hosts_(nranks),
        star_(nranks), in_(nranks), out_(nranks), left_(nranks, false), left_since_(nranks) {
    memcpy(secret_, info.secret, sizeof(secret_));
    root_host_ = info.host;
    (void)ParseNumericAddr(info.host, info.port, &root_addr_);
  }
  ~TcpBootstrap() override { Close(); }

  Status JoinAsRoot(const chorusUniqueId& id);
  Status JoinAsMember();

  Rank rank() const override { return rank_; }
  int size() const override { return nranks_; }
  std::string host(Rank peer) const override {
    return (peer >= 0 && peer < nranks_) ? hosts_[peer] : std::string();
  }

  Status AllGather(void* data, Bytes bytes) override;
  Status Barrier() override { return StarCollective(CollOp::kBarrier, nullptr, 0); }
  Status Send(Rank peer, uint32_t tag, const void* data, Bytes bytes) override;
  Status Recv(Rank peer, uint32_t tag, void* data, Bytes bytes) override;
  void Close() override;

 private:
  using DoneFn = std::function<bool(Status*)>;
  using DescribeFn = std::function<std::string()>;

  std::string Who(Rank r) const {
    std::string h = hosts_[r].empty() ? (r == 0 ? root_host_ : std::string("?")) : hosts_[r];
    return "rank " + std::to_string(r) + " (host " + h + ")";
  }
  Status PeerClosed(Rank r, const Connection& c) const {
    std::string msg = Who(r) + " closed the bootstrap connection";
    if (!c.close_reason().empty()) msg += " (" + c.close_reason() + ")";
    return RemoteError(msg);
  }
  Status Usable() const {
    if (closed_) return InvalidUsage("bootstrap of rank " + std::to_string(rank_) + " is closed");
    return Status::Ok();
  }

  Status Wait(const Deadline& dl, const DoneFn& done, const DescribeFn& describe);
  Status Progress(int timeout_ms);
  void AcceptAll();
  void ReadPending(PendingConnection* p, bool* finished);
  void Admit(int fd, const std::string& from, const Hello& hello);
  void Refuse(int fd, const std::string& from, const std::string& why, bool tell_peer);
  void AfterRead(Connection* c, bool is_star);
  void NoteClosures();
  void FailCollective(const Status& why);
  Status StarCollective(CollOp op, void* data, Bytes bytes);

  Rank rank_;
  int nranks_;
  BootstrapOptions opts_;
  uint8_t secret_[16] = {};
  std::string root_host_;
  SockAddr root_addr_;
  int listen_fd_ = -1;
  std::vector<SockAddr> addrs_;  // every rank's listening address (from the table)
  std::vector<std::string> hosts_;
  // star_[r] on the root: its connection to rank r; star_[0] on the others: theirs to the root.
  std::vector<std::unique_ptr<Connection>> star_;
  std::vector<std::unique_ptr<Connection>> in_;   // p2p: messages from rank r
  std::vector<std::unique_ptr<Connection>> out_;  // p2p: messages to rank r
  std::vector<std::unique_ptr<PendingConnection>> pending_;
  std::deque<Frame> self_;
  std::vector<bool> left_;  // rank r closed its connection to the root (relayed by the root)
  std::vector<std::chrono::steady_clock::time_point> left_since_;
  uint32_t coll_seq_ = 0;
  Status broken_;  // a failed collective desynchronises the star: later ones fail the same way
  bool joined_ = false;
  bool closed_ = false;
};

Status TcpBootstrap::Wait(const Deadline& dl, const DoneFn& done, const DescribeFn& describe) {
  while (true) {
    Status st;
    if (done(&st)) return st;
    if (Aborted(opts_.abort_flag)) {
      return RemoteError("bootstrap of rank " + std::to_string(rank_) + " aborted while " + describe());
    }
    if (dl.Expired()) {
      return Timeout("bootstrap of rank " + std::to_string(rank_) + " timed out after " +
                     std::to_string(dl.timeout_ms()) + " ms " + describe());
    }
    CHORUS_RETURN_IF_ERROR(Progress(dl.RemainingMs(kAbortPollMs)));
  }
}

Status TcpBootstrap::Progress(int timeout_ms) {
  std::vector<pollfd> fds;
  std::vector<Connection*> conns;  // parallel to fds after the listener and pending entries
  if (listen_fd_ >= 0) fds.push_back({listen_fd_, POLLIN, 0});
  size_t pending_begin = fds.size();
  for (auto& p : pending_) fds.push_back({p->fd, POLLIN, 0});
  size_t conn_begin = fds.size();
  for (auto* list : {&star_, &in_, &out_}) {
    for (auto& c : *list) {
      if (!c || c->closed()) continue;
      short events = POLLIN;
      if (c->HasPendingOutput()) events |= POLLOUT;
      fds.push_back({c->fd(), events, 0});
      conns.push_back(c.get());
    }
  }
  int n = poll(fds.data(), fds.size(), timeout_ms);
  if (n < 0) {
    if (errno == EINTR) return Status::Ok();
    return SystemError(ErrnoMessage("poll", errno));
  }
  if (n == 0) {
    NoteClosures();
    return Status::Ok();
  }
  for (size_t i = 0; i < conns.size(); ++i) {
    Connection* c = conns[i];
    short re = fds[conn_begin + i].revents;
    if (re == 0 || c->closed()) continue;
    bool is_star = star_[c->peer()].get() == c;
    if (re & POLLOUT) c->Flush();
    if (re & (POLLIN | POLLHUP | POLLERR)) c->ReadAvailable();
    AfterRead(c, is_star);
  }
  // Pending connections: finish reading hellos (in reverse so that erasing keeps indices valid).
  for (size_t i = pending_.size(); i-- > 0;) {
    if (fds[pending_begin + i].revents == 0) continue;
    bool finished = false;
    ReadPending(pending_[i].get(), &finished);
    if (finished) pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(i));
  }
  if (listen_fd_ >= 0 && (fds[0].revents & POLLIN)) AcceptAll();
  // Twice: a notice queued by the first pass may fail and close another connection.
  NoteClosures();
  NoteClosures();
  return Status::Ok();
}

// Notices that are not answers to what a wait looks for.
void TcpBootstrap::AfterRead(Connection* c, bool is_star) {
  if (is_star && rank_ != 0) {
    auto& q = c->queue();
    for (auto it = q.begin(); it != q.end();) {
      if (it->kind != FrameKind::kLeft) {
        ++it;
        continue;
      }
      uint32_t r = it->tag;
      if (r < static_cast<uint32_t>(nranks_) && it->data.empty() && !left_[r]) {
        left_[r] = true;
        left_since_[r] = std::chrono::steady_clock::now();
        CHORUS_INFO(kBootstrap, "rank %d: rank 0 reports that rank %u left", rank_, r);
      }
      it = q.erase(it);
    }
  }
}

// Closures can happen in a read, a write or a notice: handle each connection's once, here.
void TcpBootstrap::NoteClosures() {
  for (auto* list : {&star_, &in_, &out_}) {
    for (auto& c : *list) {
      if (!c || !c->closed() || c->close_noted) continue;
      c->close_noted = true;
      Rank peer = c->peer();
      if (!c->close_reason().empty() && !closed_) {
        CHORUS_WARN(kBootstrap, "rank %d: connection with %s ended: %s", rank_, Who(peer).c_str(),
                    c->close_reason().c_str());
      }
      if (list != &star_ || left_[peer]) continue;
      left_[peer] = true;
      left_since_[peer] = std::chrono::steady_clock::now();
      if (rank_ != 0) continue;
      // Tell everyone else, so that their waits on this rank fail now rather than at the deadline.
      for (Rank r = 1; r < nranks_; ++r) {
        if (r != peer && star_[r] && !star_[r]->closed()) {
          star_[r]->QueueFrame(FrameKind::kLeft, static_cast<uint32_t>(peer), nullptr, 0);
        }
      }
    }
  }
}

void TcpBootstrap::AcceptAll() {
  while (true) {
    sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        CHORUS_WARN(kBootstrap, "rank %d: accept failed: %s", rank_, strerror(errno));
      }
      return;
    }
    SockAddr from;
    memcpy(&from.storage, &ss, std::min<size_t>(len, sizeof(ss)));
    from.len = len;
    if (pending_.size() >= kMaxPendingConnections) {
      CHORUS_WARN(kBootstrap, "rank %d: dropping connection from %s: %zu connections already wait for "
                  "their hello", rank_, pending_.front()->from.c_str(), pending_.size());
      close(pending_.front()->fd);
      pending_.erase(pending_.begin());
    }
    auto p = std::make_unique<PendingConnection>();
    p->fd = fd;
    p->from = from.ToString();
    pending_.push_back(std::move(p));
  }
}

void TcpBootstrap::ReadPending(PendingConnection* p, bool* finished) {
  *finished = false;
  while (p->got < kHelloBytes) {
    ssize_t n = recv(p->fd, p->hello + p->got, kHelloBytes - p->got, MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) {
      Refuse(p->fd, p->from,
             "closed after " + std::to_string(p->got) + " of " + std::to_string(kHelloBytes) +
                 " hello bytes" + (n < 0 ? std::string(" (") + strerror(errno) + ")" : ""),
             false);
      *finished = true;
      return;
    }
    p->got += static_cast<size_t>(n);
  }
  *finished = true;
  Hello hello;
  Status s = DecodeHello(p->hello, &hello);
  if (!s.ok()) return Refuse(p->fd, p->from, s.message(), false);
  if (!SecretsEqual(hello.secret, secret_)) return Refuse(p->fd, p->from, "wrong secret", false);
  // From here on the peer holds the secret: tell it what is wrong before closing.
  if (hello.nranks != nranks_) {
    return Refuse(p->fd, p->from,
                  "rank " + std::to_string(hello.rank) + " says there are " + std::to_string(hello.nranks) +
                      " ranks, rank " + std::to_string(rank_) + " says " + std::to_string(nranks_),
                  true);
  }
  Admit(p->fd, p->from, hello);
}

void TcpBootstrap::Refuse(int fd, const std::string& from, const std::string& why, bool tell_peer) {
  CHORUS_WARN(kBootstrap, "rank %d refused a bootstrap connection from %s: %s", rank_, from.c_str(),
              why.c_str());
  if (tell_peer) {
    std::string text = "rank " + std::to_string(rank_) + " refused the connection: " + why;
    if (text.size() > kMaxErrorTextBytes) text.resize(kMaxErrorTextBytes);
    Connection c(fd, -1, 0);
    c.QueueFrame(FrameKind::kError, 0, text.data(), text.size());  // best effort, never blocks
    return;  // ~Connection closes fd
  }
  close(fd);
}

void TcpBootstrap::Admit(int fd, const std::string& from, const Hello& hello) {
  Rank r = hello.rank;
  if (hello.kind == HelloKind::kJoin) {
    if (rank_ != 0) return Refuse(fd, from, "join hello sent to a rank that is not the root", true);
    if (r < 1 || r >= nranks_) {
      return Refuse(fd, from, "join from rank " + std::to_string(r) + ", outside 1.." +
                                  std::to_string(nranks_ - 1), true);
    }
    if (star_[r]) return Refuse(fd, from, "rank " + std::to_string(r) + " joined twice", true);
    star_[r] = std::make_unique<Connection>(fd, r, Bit(FrameKind::kColl));
    addrs_[r] = hello.listen;
    hosts_[r] = hello.listen.host();
    CHORUS_TRACE(kBootstrap, "rank 0: rank %d joined from %s (listens on %s)", r, from.c_str(),
                 hello.listen.ToString().c_str());
    return;
  }
  if (r < 0 || r >= nranks_ || r == rank_) {
    return Refuse(fd, from, "point-to-point connection from rank " + std::to_string(r), true);
  }
  if (in_[r]) return Refuse(fd, from, "second point-to-point connection from rank " + std::to_string(r), true);
  in_[r] = std::make_unique<Connection>(fd, r, Bit(FrameKind::kP2p));
  CHORUS_TRACE(kBootstrap, "rank %d: point-to-point connection from rank %d", rank_, r);
}

Status TcpBootstrap::JoinAsRoot(const chorusUniqueId& id) {
  Deadline dl(opts_.timeout_ms);
  listen_fd_ = TakeListenFd(id);
  addrs_[0] = root_addr_;
  hosts_[0] = root_host_;
  if (nranks_ == 1) {
    CloseFd(&listen_fd_);
    joined_ = true;
    return Status::Ok();
  }
  if (listen_fd_ < 0) {
    // The id came from elsewhere (a launcher, CHORUS_ROOT_ADDR): listen at its address ourselves.
    Status s = Listen(root_addr_, /*reuse_addr=*/true, &listen_fd_, nullptr);
    if (!s.ok()) {
      return Status(s.code(), "rank 0 cannot listen at the unique id's root address " + root_addr_.ToString() +
                                  " (rank 0 must run on that host): " + s.message());
    }
  }
  auto missing = [this] {
    std::vector<Rank> m;
    for (Rank r = 1; r < nranks_; ++r) {
      if (!star_[r]) m.push_back(r);
    }
    return m;
  };
  Status s = Wait(
      dl,
      [&](Status* st) {
        bool all = true;
        for (Rank r = 1; r < nranks_; ++r) {
          if (!star_[r]) {
            all = false;
            continue;
          }
          if (star_[r]->closed()) {
            auto m = missing();
            *st = PeerClosed(r, *star_[r]);
            if (!m.empty()) *st = RemoteError(st->message() + " while ranks " + FormatRanks(m) + " had not joined yet");
            return true;
          }
        }
        return all;
      },
      [&] {
        auto m = missing();
        return "waiting for ranks to join at " + root_addr_.ToString() + ": missing ranks " + FormatRanks(m) +
               " (" + std::to_string(nranks_ - static_cast<int>(m.size())) + " of " + std::to_string(nranks_) +
               " joined)";
      });
  if (s.ok()) {
    std::vector<uint8_t> table(static_cast<size_t>(nranks_) * kWireAddrBytes);
    for (Rank r = 0; r < nranks_; ++r) EncodeWireAddr(addrs_[r], table.data() + r * kWireAddrBytes);
    for (Rank r = 1; r < nranks_; ++r) star_[r]->QueueFrame(FrameKind::kTable, 0, table.data(), table.size());
    s = Wait(
        dl,
        [&](Status* st) {
          for (Rank r = 1; r < nranks_; ++r) {
            if (star_[r]->HasPendingOutput()) return false;
            if (star_[r]->closed() && !star_[r]->close_reason().empty()) {
              *st = PeerClosed(r, *star_[r]);
              return true;
            }
          }
          return true;
        },
        [&] { return std::string("sending the rank table"); });
  }
  if (!s.ok()) {
    FailCollective(s);
    return s;
  }
  joined_ = true;
  CHORUS_INFO(kBootstrap, "rank 0: all %d ranks joined at %s", nranks_, root_addr_.ToString().c_str());
  return Status::Ok();
}

Status TcpBootstrap::JoinAsMember() {
  Deadline dl(opts_.timeout_ms);
  std::string root_what = "rank 0 (the bootstrap root at " + root_addr_.ToString() + ")";
  int fd = -1;
  CHORUS_RETURN_IF_ERROR(ConnectWithRetry(root_addr_, dl, opts_.abort_flag, root_what, &fd));
  // Listen on the interface that reaches the root: the one the other ranks can reach too.
  SockAddr local;
  Status s = LocalAddress(fd, &local);
  if (s.ok()) {
    local.set_port(0);
    s = Listen(local, false, &listen_fd_, &addrs_[rank_]);
  }
  if (!s.ok()) {
    close(fd);
    return s;
  }
  star_[0] = std::make_unique<Connection>(
      fd, 0, Bit(FrameKind::kTable) | Bit(FrameKind::kColl) | Bit(FrameKind::kError) | Bit(FrameKind::kLeft));
  Hello hello;
  hello.kind = HelloKind::kJoin;
  hello.rank = rank_;
  hello.nranks = nranks_;
  memcpy(hello.secret, secret_, sizeof(secret_));
  hello.listen = addrs_[rank_];
  uint8_t bytes[kHelloBytes];
  EncodeHello(hello, bytes);
  star_[0]->QueueBytes(bytes, sizeof(bytes));
  hosts_[0] = root_host_;
  Frame table;
  CHORUS_RETURN_IF_ERROR(Wait(
      dl,
      [&](Status* st) {
        Connection& c = *star_[0];
        if (!c.queue().empty()) {
          Frame f = std::move(c.queue().front());
          c.queue().pop_front();
          if (f.kind == FrameKind::kError) {
            *st = RemoteError(Who(0) + " reports: " + std::string(f.data.begin(), f.data.end()));
          } else if (f.kind != FrameKind::kTable) {
            *st = RemoteError(Who(0) + " sent a " + std::to_string(static_cast<uint32_t>(f.kind)) +
                              " frame before the rank table");
          } else {
            table = std::move(f);
          }
          return true;
        }
        if (c.closed()) {
          // The root closes silently on a wrong secret: say what that usually means.
          *st = RemoteError(PeerClosed(0, c).message() +
                            " before sending the rank table: rank 0 refused this rank (are the unique id / "
                            "CHORUS_SECRET the same on every rank? rank 0 logs why) or failed");
          return true;
        }
        return false;
      },
      [&] { return "waiting for the rank table from " + root_what; }));
  if (table.data.size() != static_cast<size_t>(nranks_) * kWireAddrBytes) {
    return RemoteError(Who(0) + " sent a rank table of " + std::to_string(table.data.size()) + " bytes, expected " +
                       std::to_string(static_cast<size_t>(nranks_) * kWireAddrBytes));
  }
  for (Rank r = 0; r < nranks_; ++r) {
    s = DecodeWireAddr(table.data.data() + r * kWireAddrBytes, &addrs_[r]);
    if (!s.ok()) return RemoteError(Who(0) + " sent a bad rank table entry for rank " + std::to_string(r) + ": " + s.message());
    hosts_[r] = addrs_[r].host();
  }
  joined_ = true;
  CHORUS_TRACE(kBootstrap, "rank %d joined (root %s)", rank_, root_addr_.ToString().c_str());
  return Status::Ok();
}

void TcpBootstrap::FailCollective(const Status& why) {
  broken_ = why;
  if (rank_ != 0) return;
  // Best effort: the others are probably waiting on us; let them fail with the reason now.
  std::string text = "rank 0 failed: " + why.message();
  if (text.size() > kMaxErrorTextBytes) text.resize(kMaxErrorTextBytes);
  bool any = false;
  for (Rank r = 1; r < nranks_; ++r) {
    if (star_[r] && !star_[r]->closed()) {
      star_[r]->QueueFrame(FrameKind::kError, 0, text.data(), text.size());
      any = any || star_[r]->HasPendingOutput();
    }
  }
  if (!any) return;
  Deadline grace(200);
  (void)Wait(
      grace,
      [&](Status*) {
        for (Rank r = 1; r < nranks_; ++r) {
          if (star_[r] && !star_[r]->closed() && star_[r]->HasPendingOutput()) return false;
        }
        return true;
      },
      [] { return std::string("sending the failure notice"); });
}

Status TcpBootstrap::AllGather(void* data, Bytes bytes) {
  if (data == nullptr && bytes > 0) return InvalidArgument("bootstrap AllGather: data is NULL");
  if (bytes > kMaxFrameBytes / static_cast<Bytes>(nranks_)) {
    return InvalidArgument("bootstrap AllGather of " + std::to_string(bytes) + " bytes per rank x " +
                           std::to_string(nranks_) + " ranks exceeds the " + std::to_string(kMaxFrameBytes) +
                           "-byte message limit");
  }
  return StarCollective(CollOp::kAllGather, data, bytes);
}

Status TcpBootstrap::StarCollective(CollOp op, void* data, Bytes bytes) {
  CHORUS_RETURN_IF_ERROR(Usable());
  if (!broken_.ok()) return broken_;
  uint32_t seq = ++coll_seq_ & 0x0fffffffu;
  uint32_t tag = (static_cast<uint32_t>(op) << 28) | seq;
  if (nranks_ == 1) return Status::Ok();
  Deadline dl(opts_.timeout_ms);
  uint8_t* buf = static_cast<uint8_t*>(data);
  Bytes total = bytes * static_cast<Bytes>(nranks_);
  auto check = [&](Rank from, const Frame& f, Bytes want) -> Status {
    if (f.kind == FrameKind::kError) {
      return RemoteError(Who(from) + " reports: " + std::string(f.data.begin(), f.data.end()));
    }
    if (f.kind != FrameKind::kColl || f.tag != tag) {
      return RemoteError(Who(from) + " is in " + (f.kind == FrameKind::kColl ? CollLabel(f.tag) : "another phase") +
                         " while rank " + std::to_string(rank_) + " is in " + CollLabel(tag));
    }
    if (f.data.size() != want) {
      return RemoteError(Who(from) + " sent " + std::to_string(f.data.size()) + " bytes for " + CollLabel(tag) +
                         ", expected " + std::to_string(want));
    }
    return Status::Ok();
  };
  Status s;
  if (rank_ == 0) {
    std::vector<bool> got(nranks_, false);
    got[0] = true;
    s = Wait(
        dl,
        [&](Status* st) {
          bool all = true;
          for (Rank r = 1; r < nranks_; ++r) {
            if (got[r]) continue;
            Connection& c = *star_[r];
            if (!c.queue().empty()) {
              Frame f = std::move(c.queue().front());
              c.queue().pop_front();
              *st = check(r, f, op == CollOp::kAllGather ? bytes : 0);
              if (!st->ok()) return true;
              if (bytes > 0 && op == CollOp::kAllGather) memcpy(buf + r * bytes, f.data.data(), bytes);
              got[r] = true;
              continue;
            }
            if (c.closed()) {
              *st = PeerClosed(r, c);
              return true;
            }
            all = false;
          }
          return all;
        },
        [&] {
          std::vector<Rank> m;
          for (Rank r = 1; r < nranks_; ++r) {
            if (!got[r]) m.push_back(r);
          }
          return "waiting for " + CollLabel(tag) + " from ranks " + FormatRanks(m) + " (of " +
                 std::to_string(nranks_) + ")";
        });
    if (s.ok()) {
      Bytes out = op == CollOp::kAllGather ? total : 0;
      for (Rank r = 1; r < nranks_; ++r) star_[r]->QueueFrame(FrameKind::kColl, tag, buf, out);
      s = Wait(
          dl,
          [&](Status* st) {
            for (Rank r = 1; r < nranks_; ++r) {
              if (star_[r]->closed()) {
                *st = PeerClosed(r, *star_[r]);
                return true;
              }
              if (star_[r]->HasPendingOutput()) return false;
            }
            return true;
          },
          [&] { return "sending the result of " + CollLabel(tag); });
    }
  } else {
    Connection& c = *star_[0];
    if (c.closed()) {
      s = PeerClosed(0, c);
    } else {
      c.QueueFrame(FrameKind::kColl, tag, op == CollOp::kAllGather ? buf + rank_ * bytes : nullptr,
                   op == CollOp::kAllGather ? bytes : 0);
      s = Wait(
          dl,
          [&](Status* st) {
            if (!c.queue().empty()) {
              Frame f = std::move(c.queue().front());
              c.queue().pop_front();
              *st = check(0, f, op == CollOp::kAllGather ? total : 0);
              if (st->ok() && op == CollOp::kAllGather && total > 0) memcpy(buf, f.data.data(), total);
              return true;
            }
            if (c.closed()) {
              *st = PeerClosed(0, c);
              return true;
            }
            return false;
          },
          [&] { return "waiting for " + Who(0) + " to complete " + CollLabel(tag); });
    }
  }
  if (!s.ok()) FailCollective(s);
  return s;
}

Status TcpBootstrap::Send(Rank peer, uint32_t tag, const void* data, Bytes bytes) {
  CHORUS_RETURN_IF_ERROR(Usable());
  if (peer < 0 || peer >= nranks_) {
    return InvalidArgument("bootstrap Send to rank " + std::to_string(peer) + " of " + std::to_string(nranks_));
  }
  if (data == nullptr && bytes > 0) return InvalidArgument("bootstrap Send: data is NULL");
  if (bytes > kMaxFrameBytes) {
    return InvalidArgument("bootstrap Send of " + std::to_string(bytes) + " bytes exceeds the limit of " +
                           std::to_string(kMaxFrameBytes));
  }
  const uint8_t* p = static_cast<const uint8_t*>(data);
  if (peer == rank_) {
    self_.push_back(Frame{FrameKind::kP2p, tag, std::vector<uint8_t>(p, p + bytes)});
    return Status::Ok();
  }
  Deadline dl(opts_.timeout_ms);
  if (!out_[peer]) {
    int fd = -1;
    CHORUS_RETURN_IF_ERROR(ConnectWithRetry(addrs_[peer], dl, opts_.abort_flag,
                                            Who(peer) + " at " + addrs_[peer].ToString(), &fd));
    out_[peer] = std::make_unique<Connection>(fd, peer, 0);  // the receiver never writes back
    Hello hello;
    hello.kind = HelloKind::kP2p;
    hello.rank = rank_;
    hello.nranks = nranks_;
    memcpy(hello.secret, secret_, sizeof(secret_));
    uint8_t bytes_hello[kHelloBytes];
    EncodeHello(hello, bytes_hello);
    out_[peer]->QueueBytes(bytes_hello, sizeof(bytes_hello));
  }
  Connection& c = *out_[peer];
  if (c.closed()) return PeerClosed(peer, c);
  c.QueueFrame(FrameKind::kP2p, tag, p, bytes);
  return Wait(
      dl,
      [&](Status* st) {
        if (c.closed()) {
          *st = PeerClosed(peer, c);
          return true;
        }
        return !c.HasPendingOutput();
      },
      [&] { return "sending " + std::to_string(bytes) + " bytes (tag " + std::to_string(tag) + ") to " + Who(peer); });
}

Status TcpBootstrap::Recv(Rank peer, uint32_t tag, void* data, Bytes bytes) {
  CHORUS_RETURN_IF_ERROR(Usable());
  if (peer < 0 || peer >= nranks_) {
    return InvalidArgument("bootstrap Recv from rank " + std::to_string(peer) + " of " + std::to_string(nranks_));
  }
  if (data == nullptr && bytes > 0) return InvalidArgument("bootstrap Recv: data is NULL");
  auto take = [&](Frame& f) -> Status {
    if (f.tag != tag || f.data.size() != bytes) {
      return RemoteError(Who(peer) + " sent a message with tag " + std::to_string(f.tag) + " and " +
                         std::to_string(f.data.size()) + " bytes; rank " + std::to_string(rank_) +
                         " expected tag " + std::to_string(tag) + " and " + std::to_string(bytes) + " bytes");
    }
    if (bytes > 0) memcpy(data, f.data.data(), bytes);
    return Status::Ok();
  };
  if (peer == rank_) {
    if (self_.empty()) {
      return InvalidUsage("bootstrap Recv from this rank itself with no message sent to itself (would never complete)");
    }
    Frame f = std::move(self_.front());
    self_.pop_front();
    return take(f);
  }
  Deadline dl(opts_.timeout_ms);
  return Wait(
      dl,
      [&](Status* st) {
        Connection* c = in_[peer].get();
        if (c != nullptr && !c->queue().empty()) {
          Frame f = std::move(c->queue().front());
          c->queue().pop_front();
          *st = take(f);
          return true;
        }
        if (c != nullptr && c->closed()) {
          *st = PeerClosed(peer, *c);
          return true;
        }
        if (c == nullptr && left_[peer] && std::chrono::steady_clock::now() - left_since_[peer] > kLeftGrace) {
          *st = RemoteError(Who(peer) + " closed the bootstrap connection" +
                            std::string(rank_ == 0 ? "" : " (reported by rank 0)") +
                            " before sending to rank " + std::to_string(rank_));
          return true;
        }
        return false;
      },
      [&] {
        return "waiting for a message (tag " + std::to_string(tag) + ", " + std::to_string(bytes) + " bytes) from " +
               Who(peer);
      });
}

void TcpBootstrap::Close() {
  if (closed_) return;
  closed_ = true;
  // Pending output here is only notices (Send and the collectives wait for theirs): one last try.
  for (auto* list : {&star_, &in_, &out_}) {
    for (auto& c : *list) {
      if (c) {
        c->Flush();
        c->Close("");
      }
    }
  }
  for (auto& p : pending_) close(p->fd);
  pending_.clear();
  CloseFd(&listen_fd_);
}

}  // namespace
}  // namespace bootstrap

Status Bootstrap::Create(const chorusUniqueId& id, Rank rank, int nranks, const BootstrapOptions& opts,
                         std::unique_ptr<Bootstrap>* out) {
  if (out == nullptr) return InvalidArgument("Bootstrap::Create: out is NULL");
  if (nranks < 1 || nranks > bootstrap::kMaxRanks) {
    return InvalidArgument("bootstrap: nranks " + std::to_string(nranks) + " is outside 1.." +
                           std::to_string(bootstrap::kMaxRanks));
  }
  if (rank < 0 || rank >= nranks) {
    return InvalidArgument("bootstrap: rank " + std::to_string(rank) + " is outside 0.." + std::to_string(nranks - 1));
  }
  if (opts.timeout_ms <= 0) return InvalidArgument("bootstrap: timeout_ms must be positive");
  UniqueIdInfo info;
  CHORUS_RETURN_IF_ERROR(DecodeUniqueId(id, &info));
  auto b = std::make_unique<bootstrap::TcpBootstrap>(rank, nranks, info, opts);
  Status s = rank == 0 ? b->JoinAsRoot(id) : b->JoinAsMember();
  if (!s.ok()) return s;
  *out = std::move(b);
  return Status::Ok();
}

}  // namespace chorus
