// The verbs a transport offers on connections to peers; exec/ drives them, algorithms never see
// them. First wave: message verbs over a FIFO of slots (shm). Memory verbs (map a peer window,
// put/get, flags) and switch verbs (reduce-into/multicast) join this interface with the memsem and
// switch transports.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/status.h"
#include "core/types.h"

namespace chorus::transport {

// Every slot of a message carries this header, so the receiver can check that the message is the
// one its schedule expects (same call, same size) before touching its data.
struct MessageHeader {
  uint64_t tag = 0;        // identifies the call (sequence number + call signature)
  uint64_t msg_bytes = 0;  // the whole message's size
};

// This rank -> one peer, on one channel. Messages are delivered in order.
class SendQueue {
 public:
  virtual ~SendQueue() = default;
  // Appends up to `n` bytes of a message (whose header is `hdr`) without blocking; *taken says how
  // many bytes were accepted (0 when the queue is full). Consecutive calls for one message must
  // pass consecutive data.
  virtual Status TryPush(const MessageHeader& hdr, const void* data, Bytes n, Bytes* taken) = 0;

  // Single copy. A queue whose receiver can read this rank's memory directly (another process
  // through process_vm_readv, or a thread of this process) takes a reference instead of the bytes,
  // so the receiver copies them once, straight out of our buffer. ref_min_bytes(data, n) is the
  // smallest piece of the n-byte message at `data` worth a reference (0: no references for it;
  // memory in a shared window, chorusMemAlloc, may get them from a smaller size).
  virtual Bytes ref_min_bytes(const void* data, Bytes n) const { (void)data, (void)n; return 0; }
  // Appends a reference to the next `n` bytes of a message at `data`, which must stay valid and
  // unchanged until Released(*ticket). *ticket == 0 when the queue is full (nothing was posted).
  virtual Status TryPushRef(const MessageHeader& hdr, const void* data, Bytes n, uint64_t* ticket) {
    (void)hdr, (void)data, (void)n;
    *ticket = 0;
    return Status::Ok();
  }
  // True once the receiver is done with the memory of reference `ticket` and of every earlier one.
  virtual bool Released(uint64_t ticket) { (void)ticket; return true; }

  // Paired copies. For a message of `msg_bytes`, whether the executor should copy its pieces into
  // the queue in the same loop as it copies a received piece out of another (TryReserve, then
  // Commit): cheaper between cores that share a cache, dearer across dies.
  virtual bool PairsCopies(Bytes msg_bytes) const { (void)msg_bytes; return false; }
  // Room for the next piece of a message, written in place: *dst and *room (at most `n` bytes;
  // 0 when the queue is full or takes no reservations). The bytes are published by Commit; a
  // reservation not committed is simply given up (the next one returns the same room).
  virtual Status TryReserve(const MessageHeader& hdr, Bytes n, void** dst, Bytes* room) {
    (void)hdr, (void)n;
    *dst = nullptr;
    *room = 0;
    return Status::Ok();
  }
  // Publishes the first `n` bytes written at the last TryReserve's *dst (n <= *room).
  virtual void Commit(const MessageHeader& hdr, Bytes n) { (void)hdr, (void)n; }
};

// One peer -> this rank, on one channel.
class RecvQueue {
 public:
  virtual ~RecvQueue() = default;
  // The next contiguous bytes that have arrived (at most one slot), without blocking: *n == 0 when
  // nothing has. The data stays valid until Consume. *data == nullptr when the bytes are a
  // reference to the sender's memory (SendQueue::TryPushRef): only ReadInto can take them.
  virtual Status TryPeek(MessageHeader* hdr, const void** data, Bytes* n) = 0;
  // Releases the first `n` bytes returned by the last TryPeek.
  virtual void Consume(Bytes n) = 0;
  // Copies the first `n` bytes returned by the last TryPeek into `dst`, then releases them. Fails
  // (chorusRemoteError) when a referenced sender's memory cannot be read: the sender died, or the
  // reference is malformed. `stream`: dst is a result nothing reads soon (streaming stores).
  virtual Status ReadInto(void* dst, Bytes n, bool stream = false) = 0;
};

// All of one rank's connections of one kind.
class Connections {
 public:
  virtual ~Connections() = default;
  virtual int channels() const = 0;
  // nullptr when this transport does not connect the pair.
  virtual SendQueue* send_queue(Rank peer, int channel) = 0;
  virtual RecvQueue* recv_queue(Rank peer, int channel) = 0;
  // Ok while `peer` is alive and has not declared a failure; otherwise chorusRemoteError naming
  // the peer and what happened to it (process gone, or the failure it declared).
  virtual Status PeerStatus(Rank peer) = 0;
  // True once `peer`'s process is gone (a declared failure alone does not count).
  virtual bool PeerDead(Rank peer) = 0;
  // True once `peer` has declared a failure: cheap (one load), so the data path may ask it per
  // grain, where PeerStatus (which may look the process up) would cost too much.
  virtual bool PeerFailed(Rank peer) = 0;
  // Declares this rank failed (its peers' PeerStatus then reports `why`), so that ranks waiting on
  // it fail fast instead of timing out.
  virtual void DeclareFailed(const std::string& why) = 0;
  // Housekeeping between calls (the communicator calls it after each one): cheap when there is
  // nothing to do.
  virtual void AfterCall() {}

  // A one-slot out-of-band mailbox per rank that survives a broken communicator (the data path's
  // FIFOs may hold half a message then): how survivors of a failure agree on a new unique id.
  // Post writes ours; Read copies `peer`'s when its epoch equals `epoch` (else returns false).
  static constexpr size_t kMailboxBytes = 256;
  virtual void PostMailbox(uint64_t epoch, const void* data, size_t bytes) = 0;
  virtual bool ReadMailbox(Rank peer, uint64_t epoch, void* data, size_t bytes) = 0;
};

}  // namespace chorus::transport
