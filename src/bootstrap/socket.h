// Socket plumbing for the bootstrap: numeric addresses, listening, non-blocking connect with
// retries, and the deadline every wait is measured against.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "core/status.h"

namespace chorus::bootstrap {

struct SockAddr {
  sockaddr_storage storage = {};
  socklen_t len = 0;

  int family() const { return storage.ss_family; }
  std::string host() const;  // numeric
  uint16_t port() const;
  void set_port(uint16_t port);
  std::string ToString() const;  // "1.2.3.4:5" or "[::1]:5"
  const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&storage); }
  sockaddr* sa() { return reinterpret_cast<sockaddr*>(&storage); }
};

// Parses a numeric IPv4 or IPv6 address (no name lookup).
Status ParseNumericAddr(const std::string& host, uint16_t port, SockAddr* out);

// The address this host should listen on for the bootstrap root: CHORUS_BOOTSTRAP_ADDR (a numeric
// address), else the first up interface whose name matches CHORUS_SOCKET_IFNAME (comma-separated
// name prefixes; a leading '^' excludes instead), else the first up non-loopback IPv4 interface
// (docker*/virbr* skipped), else 127.0.0.1. The port is 0.
Status ChooseRootAddress(SockAddr* out);

// A non-blocking, close-on-exec listening socket bound to `addr` (port 0: ephemeral). `bound` gets
// the actual address.
Status Listen(const SockAddr& addr, bool reuse_addr, int* fd, SockAddr* bound);

class Deadline {
 public:
  explicit Deadline(int64_t timeout_ms)
      : timeout_ms_(timeout_ms),
        end_(std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms)) {}
  bool Expired() const { return std::chrono::steady_clock::now() >= end_; }
  // Milliseconds left, clamped to [0, cap].
  int RemainingMs(int cap) const;
  int64_t timeout_ms() const { return timeout_ms_; }

 private:
  int64_t timeout_ms_;
  std::chrono::steady_clock::time_point end_;
};

// The longest a wait sleeps before it looks at the abort flag again.
constexpr int kAbortPollMs = 50;

inline bool Aborted(const std::atomic<bool>* flag) {
  return flag != nullptr && flag->load(std::memory_order_acquire);
}

// Connects to `addr`, retrying refused / unreachable attempts with backoff until the deadline (the
// root may start later than its peers). Returns a non-blocking, close-on-exec socket.
Status ConnectWithRetry(const SockAddr& addr, const Deadline& deadline,
                        const std::atomic<bool>* abort_flag, const std::string& what, int* fd);

// The local address of a connected socket (the interface that routes to the peer).
Status LocalAddress(int fd, SockAddr* out);

void CloseFd(int* fd);

}  // namespace chorus::bootstrap
