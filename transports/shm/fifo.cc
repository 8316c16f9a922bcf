#include "transports/shm/fifo.h"

#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "core/log.h"
#include "device/host/copy.h"

namespace chorus::shm {

bool FifoWriter::Full() {
  if (head_ - tail_cached_ < geo_.slots) return false;
  if (push_stores_ != PushStores::kAuto) {
    tail_cached_ = ctl()->tail.load(std::memory_order_acquire);
    return head_ - tail_cached_ >= geo_.slots;
  }
  // A tail that moved since our last read comes from the receiver's core: timing this load is
  // how PeerDistance tells near from far, at no cost to small messages (the FIFO is never full).
  const uint64_t t0 = ReadTicks();
  const uint64_t tail = ctl()->tail.load(std::memory_order_acquire);
  const uint64_t t1 = ReadTicks();
  // A thread moved between cores may read a second counter behind the first: no sample then.
  if (tail != tail_cached_ && t1 >= t0) {
    const bool was_far = distance_.far();
    const uint64_t far_ticks = TicksIn(kFarLoadNs);
    distance_.Sample(t1 - t0, far_ticks);
    if (distance_.far() != was_far) {
      CHORUS_INFO(kTransport, "shm: rank %d's core now looks %s (a load of its tail took %.0f ns): %s pushes from %llu bytes",
                  peer_, distance_.far() ? "far" : "near",
                  static_cast<double>(t1 - t0) * kFarLoadNs / static_cast<double>(far_ticks),
                  distance_.far() ? "streaming" : "paired", static_cast<unsigned long long>(AutoMinBytes()));
    }
  }
  tail_cached_ = tail;
  return head_ - tail_cached_ >= geo_.slots;
}

bool FifoWriter::StreamPiece(Bytes msg_bytes, Bytes piece) const {
  if (piece < kStreamedPushMinBytes) return false;
  switch (push_stores_) {
    case PushStores::kCached:
    case PushStores::kPaired: return false;
    case PushStores::kStreamed: return true;
    case PushStores::kAuto:
      // Only messages that fill the FIFO and outgrow the caches: memory decides their cost, and
      // their traffic feeds the verdict.
      return distance_.far() && msg_bytes >= AutoMinBytes();
  }
  return false;
}

bool FifoWriter::PairsCopies(Bytes msg_bytes) const {
  switch (push_stores_) {
    case PushStores::kCached:
    case PushStores::kStreamed: return false;
    case PushStores::kPaired: return msg_bytes > kInlineBytes;
    // Slots smaller than the engine's smallest paired piece could never pair.
    case PushStores::kAuto: return !distance_.far() && msg_bytes >= AutoMinBytes() && geo_.slot_bytes >= 4096;
  }
  return false;
}

Status FifoWriter::TryReserve(const transport::MessageHeader& hdr, Bytes n, void** dst, Bytes* room) {
  (void)hdr;
  *dst = nullptr;
  *room = 0;
  if (n == 0 || Full()) return Status::Ok();
  *dst = slot(head_) + sizeof(SlotHeader);
  *room = std::min<Bytes>(n, geo_.slot_bytes);
  return Status::Ok();
}

void FifoWriter::Commit(const transport::MessageHeader& hdr, Bytes n) {
  char* s = slot(head_);
  auto* sh = reinterpret_cast<SlotHeader*>(s);
  // The reader takes pieces this short from the header line.
  if (n <= kInlineBytes) memcpy(sh->inline_data, s + sizeof(SlotHeader), n);
  sh->tag = hdr.tag;
  sh->msg_bytes = hdr.msg_bytes;
  sh->len = n;
  ++head_;
  sh->seq.store(head_, std::memory_order_release);
}

Status FifoWriter::TryPush(const transport::MessageHeader& hdr, const void* data, Bytes n,
                           Bytes* taken) {
  *taken = 0;
  const char* src = static_cast<const char*>(data);
  while (n > 0 && !Full()) {
    char* s = slot(head_);
    auto* sh = reinterpret_cast<SlotHeader*>(s);
    Bytes k = std::min<Bytes>(n, geo_.slot_bytes);
    sh->tag = hdr.tag;
    sh->msg_bytes = hdr.msg_bytes;
    sh->len = k;
    if (StreamPiece(hdr.msg_bytes, k)) {
      // Fenced inside (host::Copy ends streaming stores with a store fence), so the bytes are
      // visible before the release store of seq below.
      host::Copy(s + sizeof(SlotHeader), src, k, host::Store::kStreamed);
    } else {
      memcpy(k <= kInlineBytes ? static_cast<void*>(sh->inline_data) : s + sizeof(SlotHeader), src, k);
    }
    ++head_;
    sh->seq.store(head_, std::memory_order_release);
    src += k;
    n -= k;
    *taken += k;
  }
  // A small message's sender looks at tail after publishing, once the FIFO is half full by its
  // last look: the load misses (the receiver wrote the line), and here it overlaps the wait for
  // the peer's answer, where in Full() it would hold up every `slots`-th message by a cache-line
  // transfer. Large messages keep to Full(), whose timed loads feed PeerDistance.
  if (hdr.msg_bytes < kStreamedPushMinBytes && head_ - tail_cached_ >= (geo_.slots + 1) / 2) {
    tail_cached_ = ctl()->tail.load(std::memory_order_acquire);
  }
  return Status::Ok();
}

Bytes FifoWriter::ref_min_bytes(const void* data, Bytes n) const {
  WindowRef w;
  if (window_min_ > 0 && n >= window_min_ && (ref_min_ == 0 || window_min_ < ref_min_) && FindWindow(data, n, &w)) {
    return window_min_;
  }
  return ref_min_;
}

Status FifoWriter::TryPushRef(const transport::MessageHeader& hdr, const void* data, Bytes n,
                              uint64_t* ticket) {
  *ticket = 0;
  if (n == 0 || n > kRefLenMask) return InternalError("shm: reference of " + std::to_string(n) + " bytes");
  if (Full()) return Status::Ok();
  auto* sh = reinterpret_cast<SlotHeader*>(slot(head_));
  sh->tag = hdr.tag;
  sh->msg_bytes = hdr.msg_bytes;
  const uint64_t addr = reinterpret_cast<uintptr_t>(data);
  WindowRef w;
  if (window_min_ > 0 && FindWindow(data, n, &w)) {
    sh->len = n | kRefFlag | kWindowFlag;
    const WindowSlotRef ref{addr, w.inode, w.offset, w.fd, 0};
    memcpy(sh->inline_data, &ref, sizeof(ref));
  } else {
    sh->len = n | kRefFlag;
    memcpy(sh->inline_data, &addr, sizeof(addr));
  }
  ++head_;
  sh->seq.store(head_, std::memory_order_release);
  *ticket = head_;
  return Status::Ok();
}

bool FifoWriter::Released(uint64_t ticket) {
  if (tail_cached_ >= ticket) return true;
  tail_cached_ = ctl()->tail.load(std::memory_order_acquire);
  return tail_cached_ >= ticket;
}

Status FifoReader::TryPeek(transport::MessageHeader* hdr, const void** data, Bytes* n) {
  *n = 0;
  peeked_ = false;
  const char* s = slot(tail_);
  const auto* sh = reinterpret_cast<const SlotHeader*>(s);
  if (sh->seq.load(std::memory_order_acquire) != tail_ + 1) return Status::Ok();
  // The slot lives in memory a peer writes: read each field once, check, and keep what was checked.
  const uint64_t raw = sh->len;
  const bool ref = (raw & kRefFlag) != 0;
  const bool window = ref && (raw & kWindowFlag) != 0;
  const uint64_t len = raw & ~(kRefFlag | (window ? kWindowFlag : 0));
  if (len == 0 || len > (ref ? kRefLenMask : geo_.slot_bytes) || consumed_ >= len) {
    return RemoteError("shared-memory FIFO slot from rank " + std::to_string(sender_) +
                       " has invalid length " + std::to_string(raw));
  }
  hdr->tag = sh->tag;
  hdr->msg_bytes = sh->msg_bytes;
  peeked_ = true;
  peeked_ref_ = ref;
  peeked_window_ = window;
  peeked_len_ = len;
  if (window) {
    WindowSlotRef w;
    memcpy(&w, sh->inline_data, sizeof(w));
    peeked_addr_ = w.addr;
    peeked_win_ = WindowRef{w.inode, w.offset, w.fd};
    *data = nullptr;
  } else if (ref) {
    memcpy(&peeked_addr_, sh->inline_data, sizeof(peeked_addr_));
    *data = nullptr;
  } else {
    *data = (len <= kInlineBytes ? reinterpret_cast<const char*>(sh->inline_data) : s + sizeof(SlotHeader)) + consumed_;
  }
  *n = len - consumed_;
  return Status::Ok();
}

void FifoReader::Consume(Bytes n) {
  if (!peeked_) return;
  consumed_ += std::min<Bytes>(n, peeked_len_ - consumed_);
  if (consumed_ >= peeked_len_) {
    consumed_ = 0;
    peeked_ = false;
    ++tail_;
    ctl()->tail.store(tail_, std::memory_order_release);
  }
}

Status FifoReader::ReadInto(void* dst, Bytes n, bool stream) {
  if (!peeked_ || n > peeked_len_ - consumed_) {
    return InternalError("shm: ReadInto of " + std::to_string(n) + " bytes beyond what TryPeek returned");
  }
  if (!peeked_ref_) {
    const auto* sh = reinterpret_cast<const SlotHeader*>(slot(tail_));
    memcpy(dst, (peeked_len_ <= kInlineBytes ? reinterpret_cast<const char*>(sh->inline_data) : reinterpret_cast<const char*>(sh) + sizeof(SlotHeader)) + consumed_, n);
  } else {
    const char* mapped = nullptr;
    if (peeked_window_ && windows_ != nullptr) {
      WindowRef at = peeked_win_;
      at.offset += consumed_;
      // A window we cannot map (ptrace rules differ for /proc/<pid>/fd) is still readable the
      // slow way; a malformed reference fails there too.
      if (!windows_->Map(sender_pid_, at, n, &mapped).ok()) mapped = nullptr;
    }
    if (mapped != nullptr) {
      host::Copy(dst, mapped, n, stream ? host::Store::kStreamed : host::Store::kCached);
    } else {
      CHORUS_RETURN_IF_ERROR(CopyFromProcess(sender_pid_, sender_, reinterpret_cast<const char*>(peeked_addr_) + consumed_, dst, n));
    }
  }
  Consume(n);
  return Status::Ok();
}

Status CopyFromProcess(int pid, Rank peer, const void* remote, void* dst, Bytes n) {
  char* out = static_cast<char*>(dst);
  auto from = reinterpret_cast<uintptr_t>(remote);
  while (n > 0) {
    iovec local{out, n};
    iovec far{reinterpret_cast<void*>(from), n};
    ssize_t got = process_vm_readv(pid, &local, 1, &far, 1, 0);
    if (got <= 0) {
      const int err = got < 0 ? errno : EFAULT;
      if (err == ESRCH) return RemoteError("rank " + std::to_string(peer) + " (pid " + std::to_string(pid) + ") died while this rank read its buffer");
      return RemoteError(ErrnoMessage("single-copy read of " + std::to_string(n) + " bytes from rank " +
                                          std::to_string(peer) + " (pid " + std::to_string(pid) + ")", err));
    }
    out += got;
    from += static_cast<uintptr_t>(got);
    n -= static_cast<Bytes>(got);
  }
  return Status::Ok();
}

}  // namespace chorus::shm
