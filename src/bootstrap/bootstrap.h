// How ranks find each other before any transport exists: an out-of-band TCP star around the root.
//
// The unique id carries the root's address (IPv4/IPv6 + port) and a random 128-bit secret. Rank 0
// listens at that address; every rank connects, presents the secret (connections without it are
// refused and logged), and registers its own listening address. The root then knows everyone and
// serves all-gathers and barriers. Every read is bounds-checked; every wait honours the deadline and
// the abort flag. docs/bootstrap.md describes the protocol.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "chorus/chorus.h"
#include "core/status.h"
#include "core/types.h"

namespace chorus {

// The decoded form of chorusUniqueId.
struct UniqueIdInfo {
  std::string host;     // numeric address of the root, e.g. "127.0.0.1" or "::1"
  uint16_t port = 0;
  uint8_t secret[16] = {};
};

// Creates a unique id: binds a listening socket for the root on this host (the address from
// CHORUS_BOOTSTRAP_ADDR / CHORUS_SOCKET_IFNAME, else the first non-loopback interface that is up,
// else loopback) and a fresh random secret. The socket is kept open (owned by a process-wide
// registry) so that a later Bootstrap::Create with rank 0 and this id adopts it: no port race.
// A child forked after this call inherits the registry and can be rank 0 just as well.
Status NewUniqueId(chorusUniqueId* id);
// Closes the listening socket NewUniqueId kept for `id` in this process, if any (e.g. a parent that
// forked the ranks and will not be rank 0 itself). Harmless when there is none.
void ReleaseUniqueId(const chorusUniqueId& id);
// Encoding checks the host is a numeric IPv4/IPv6 address and the port non-zero. Decoding rejects
// anything that is not exactly what EncodeUniqueId writes (magic, version, checksum, padding).
Status EncodeUniqueId(const UniqueIdInfo& info, chorusUniqueId* id);
Status DecodeUniqueId(const chorusUniqueId& id, UniqueIdInfo* info);

// Text form of an id: 2*CHORUS_UNIQUE_ID_BYTES lowercase hex digits (upper case accepted).
std::string UniqueIdToString(const chorusUniqueId& id);
Status UniqueIdFromString(const std::string& text, chorusUniqueId* id);

struct BootstrapOptions {
  // Limit of each blocking call (Create, AllGather, Barrier, Send, Recv), measured from its start.
  int64_t timeout_ms = 600000;
  const std::atomic<bool>* abort_flag = nullptr;  // when set and true, waits return chorusRemoteError
};

// One rank's end of the bootstrap. Not thread-safe: one thread uses an object at a time (the abort
// flag is the way another thread interrupts it). Ranks may be threads of one process, each with its
// own object.
class Bootstrap {
 public:
  // Connects rank `rank` of `nranks`. Blocks until all ranks have joined (or timeout/abort).
  static Status Create(const chorusUniqueId& id, Rank rank, int nranks, const BootstrapOptions& opts,
                       std::unique_ptr<Bootstrap>* out);
  virtual ~Bootstrap() = default;

  virtual Rank rank() const = 0;
  virtual int size() const = 0;
  // Numeric host of `peer`'s bootstrap endpoint (for messages); "" if out of range.
  virtual std::string host(Rank peer) const = 0;

  // Out-of-band all-gather: `data` holds size()*bytes; this rank's slice is at rank()*bytes.
  virtual Status AllGather(void* data, Bytes bytes) = 0;
  virtual Status Barrier() = 0;
  // Point-to-point over the bootstrap (connection setup blobs). Messages between a pair arrive in
  // order; `tag` must match on both sides or the receive fails with chorusRemoteError, and so must
  // the size. Sending to oneself is allowed (the message is queued locally).
  virtual Status Send(Rank peer, uint32_t tag, const void* data, Bytes bytes) = 0;
  virtual Status Recv(Rank peer, uint32_t tag, void* data, Bytes bytes) = 0;
  // Marks this rank as leaving: later waits of peers on it fail fast rather than time out.
  virtual void Close() = 0;
};

}  // namespace chorus
