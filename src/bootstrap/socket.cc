#include "bootstrap/socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include "core/env.h"
#include "core/log.h"

namespace chorus::bootstrap {

std::string SockAddr::host() const {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (family() == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr, buf, sizeof(buf));
  } else if (family() == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr, buf,
              sizeof(buf));
  }
  return buf;
}

uint16_t SockAddr::port() const {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
  if (family() == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
  return 0;
}

void SockAddr::set_port(uint16_t port) {
  if (family() == AF_INET) reinterpret_cast<sockaddr_in*>(&storage)->sin_port = htons(port);
  if (family() == AF_INET6) reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port = htons(port);
}

std::string SockAddr::ToString() const {
  if (family() == AF_INET6) return "[" + host() + "]:" + std::to_string(port());
  return host() + ":" + std::to_string(port());
}

Status ParseNumericAddr(const std::string& host, uint16_t port, SockAddr* out) {
  *out = SockAddr();
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out->storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out->storage);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    out->len = sizeof(sockaddr_in);
    return Status::Ok();
  }
  *out = SockAddr();
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    out->len = sizeof(sockaddr_in6);
    return Status::Ok();
  }
  return InvalidArgument("'" + host + "' is not a numeric IPv4 or IPv6 address");
}

namespace {

// CHORUS_SOCKET_IFNAME: "eth,ib" selects interfaces whose names start with eth or ib; "^docker,lo"
// excludes those prefixes instead.
bool InterfaceSelected(const std::string& spec, const char* name) {
  bool exclude = !spec.empty() && spec[0] == '^';
  std::string list = exclude ? spec.substr(1) : spec;
  bool matched = false;
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t comma = list.find(',', pos);
    std::string item = list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (!item.empty() && strncmp(name, item.c_str(), item.size()) == 0) matched = true;
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return exclude ? !matched : matched;
}

bool IsLoopback(const sockaddr* sa) {
  if (sa->sa_family == AF_INET) {
    return (ntohl(reinterpret_cast<const sockaddr_in*>(sa)->sin_addr.s_addr) >> 24) == 127;
  }
  if (sa->sa_family == AF_INET6) {
    return IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr);
  }
  return false;
}

bool IsLinkLocal6(const sockaddr* sa) {
  return sa->sa_family == AF_INET6 &&
         IN6_IS_ADDR_LINKLOCAL(&reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr);
}

void CopyIfAddr(const sockaddr* sa, SockAddr* out) {
  *out = SockAddr();
  out->len = sa->sa_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  memcpy(&out->storage, sa, out->len);
  out->set_port(0);
}

}  // namespace

Status ChooseRootAddress(SockAddr* out) {
  std::string forced = EnvString("CHORUS_BOOTSTRAP_ADDR");
  if (!forced.empty()) {
    Status s = ParseNumericAddr(forced, 0, out);
    if (!s.ok()) return InvalidArgument("CHORUS_BOOTSTRAP_ADDR: " + s.message());
    CHORUS_INFO(kBootstrap, "root address %s (CHORUS_BOOTSTRAP_ADDR)", forced.c_str());
    return Status::Ok();
  }
  std::string ifname = EnvString("CHORUS_SOCKET_IFNAME");
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return SystemError(ErrnoMessage("getifaddrs", errno));
  // Preference: selected (or default non-loopback) IPv4, then such IPv6 (not link-local), then
  // loopback when nothing was requested by name.
  const ifaddrs* best4 = nullptr;
  const ifaddrs* best6 = nullptr;
  for (const ifaddrs* ifa = list; ifa != nullptr; ifa = ifa->ifa_next) {
    if (ifa->ifa_addr == nullptr || (ifa->ifa_flags & IFF_UP) == 0) continue;
    int fam = ifa->ifa_addr->sa_family;
    if (fam != AF_INET && fam != AF_INET6) continue;
    if (IsLinkLocal6(ifa->ifa_addr)) continue;
    if (!ifname.empty()) {
      if (!InterfaceSelected(ifname, ifa->ifa_name)) continue;
    } else {
      if (IsLoopback(ifa->ifa_addr) || (ifa->ifa_flags & IFF_LOOPBACK) != 0) continue;
      if (strncmp(ifa->ifa_name, "docker", 6) == 0 || strncmp(ifa->ifa_name, "virbr", 5) == 0) continue;
    }
    if (fam == AF_INET && best4 == nullptr) best4 = ifa;
    if (fam == AF_INET6 && best6 == nullptr) best6 = ifa;
  }
  const ifaddrs* pick = best4 != nullptr ? best4 : best6;
  if (pick != nullptr) {
    CopyIfAddr(pick->ifa_addr, out);
    CHORUS_INFO(kBootstrap, "root address %s (interface %s%s)", out->host().c_str(), pick->ifa_name,
                ifname.empty() ? ", first non-loopback" : ", CHORUS_SOCKET_IFNAME");
    freeifaddrs(list);
    return Status::Ok();
  }
  freeifaddrs(list);
  if (!ifname.empty()) {
    return InvalidArgument("CHORUS_SOCKET_IFNAME=" + ifname +
                           " matches no interface that is up and has an IP address");
  }
  CHORUS_INFO(kBootstrap, "root address 127.0.0.1 (no non-loopback interface is up)");
  return ParseNumericAddr("127.0.0.1", 0, out);
}

Status Listen(const SockAddr& addr, bool reuse_addr, int* fd, SockAddr* bound) {
  int s = socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s < 0) return SystemError(ErrnoMessage("socket", errno));
  if (reuse_addr) {
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  }
  if (bind(s, addr.sa(), addr.len) != 0) {
    int err = errno;
    close(s);
    return SystemError(ErrnoMessage("bind " + addr.ToString(), err));
  }
  if (listen(s, SOMAXCONN) != 0) {
    int err = errno;
    close(s);
    return SystemError(ErrnoMessage("listen " + addr.ToString(), err));
  }
  SockAddr got;
  got.len = sizeof(got.storage);
  if (getsockname(s, got.sa(), &got.len) != 0) {
    int err = errno;
    close(s);
    return SystemError(ErrnoMessage("getsockname", err));
  }
  *fd = s;
  if (bound != nullptr) *bound = got;
  return Status::Ok();
}

int Deadline::RemainingMs(int cap) const {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end_ - std::chrono::steady_clock::now())
                  .count();
  if (left < 0) return 0;
  return static_cast<int>(std::min<int64_t>(left, cap));
}

namespace {

bool Retryable(int err) {
  return err == ECONNREFUSED || err == ETIMEDOUT || err == ENETUNREACH || err == EHOSTUNREACH ||
         err == ECONNRESET || err == ECONNABORTED || err == EAGAIN;
}

}  // namespace

Status ConnectWithRetry(const SockAddr& addr, const Deadline& deadline,
                        const std::atomic<bool>* abort_flag, const std::string& what, int* fd) {
  int backoff_ms = 5;
  int last_err = 0;
  int attempts = 0;
  while (true) {
    if (Aborted(abort_flag)) return RemoteError("bootstrap aborted while connecting to " + what);
    if (deadline.Expired()) {
      return Timeout("timed out after " + std::to_string(deadline.timeout_ms()) +
                     " ms connecting to " + what + " (" + std::to_string(attempts) + " attempts" +
                     (last_err != 0 ? ", last: " + std::string(strerror(last_err)) : "") + ")");
    }
    ++attempts;
    int s = socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0) return SystemError(ErrnoMessage("socket", errno));
    int rc;
    do {
      rc = connect(s, addr.sa(), addr.len);
    } while (rc != 0 && errno == EINTR);
    int err = rc == 0 ? 0 : errno;
    if (err == EALREADY) err = EINPROGRESS;  // a connect interrupted by a signal goes on
    if (err == EINPROGRESS) {
      // Wait for the handshake in slices so that the abort flag and the deadline are seen.
      err = ETIMEDOUT;
      while (!deadline.Expired() && !Aborted(abort_flag)) {
        pollfd p = {s, POLLOUT, 0};
        int n = poll(&p, 1, deadline.RemainingMs(kAbortPollMs));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          err = errno;
          break;
        }
        if (n == 0) continue;
        int soerr = 0;
        socklen_t len = sizeof(soerr);
        getsockopt(s, SOL_SOCKET, SO_ERROR, &soerr, &len);
        err = soerr;
        break;
      }
    }
    if (err == 0) {
      int one = 1;
      setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      *fd = s;
      return Status::Ok();
    }
    close(s);
    last_err = err;
    if (!Retryable(err) && err != EINPROGRESS) {
      return SystemError(ErrnoMessage("connect to " + what, err));
    }
    int sleep_ms = std::min(backoff_ms, deadline.RemainingMs(kAbortPollMs));
    if (sleep_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
    backoff_ms = std::min(backoff_ms * 2, 100);
  }
}

Status LocalAddress(int fd, SockAddr* out) {
  *out = SockAddr();
  out->len = sizeof(out->storage);
  if (getsockname(fd, out->sa(), &out->len) != 0) return SystemError(ErrnoMessage("getsockname", errno));
  return Status::Ok();
}

void CloseFd(int* fd) {
  if (*fd >= 0) {
    close(*fd);
    *fd = -1;
  }
}

}  // namespace chorus::bootstrap
