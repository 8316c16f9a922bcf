#include "transports/shm/fifo.h"

#include <algorithm>
#include <cstring>

namespace chorus::shm {

Status FifoWriter::TryPush(const transport::MessageHeader& hdr, const void* data, Bytes n,
                           Bytes* taken) {
  *taken = 0;
  const char* src = static_cast<const char*>(data);
  while (n > 0) {
    if (head_ - tail_cached_ >= geo_.slots) {
      tail_cached_ = ctl()->tail.load(std::memory_order_acquire);
      if (head_ - tail_cached_ >= geo_.slots) break;
    }
    char* s = slot(head_);
    auto* sh = reinterpret_cast<SlotHeader*>(s);
    Bytes k = std::min<Bytes>(n, geo_.slot_bytes);
    sh->tag = hdr.tag;
    sh->msg_bytes = hdr.msg_bytes;
    sh->len = k;
    memcpy(k <= kInlineBytes ? static_cast<void*>(sh->inline_data) : s + sizeof(SlotHeader), src, k);
    ++head_;
    sh->seq.store(head_, std::memory_order_release);
    src += k;
    n -= k;
    *taken += k;
  }
  return Status::Ok();
}

Status FifoReader::TryPeek(transport::MessageHeader* hdr, const void** data, Bytes* n) {
  *n = 0;
  const char* s = slot(tail_);
  const auto* sh = reinterpret_cast<const SlotHeader*>(s);
  if (sh->seq.load(std::memory_order_acquire) != tail_ + 1) return Status::Ok();
  // The slot lives in memory a peer writes: check before trusting it.
  uint64_t len = sh->len;
  if (len == 0 || len > geo_.slot_bytes || consumed_ >= len) {
    return RemoteError("shared-memory FIFO slot has invalid length " + std::to_string(len));
  }
  hdr->tag = sh->tag;
  hdr->msg_bytes = sh->msg_bytes;
  *data = (len <= kInlineBytes ? reinterpret_cast<const char*>(sh->inline_data) : s + sizeof(SlotHeader)) + consumed_;
  *n = len - consumed_;
  return Status::Ok();
}

void FifoReader::Consume(Bytes n) {
  const auto* sh = reinterpret_cast<const SlotHeader*>(slot(tail_));
  consumed_ += n;
  if (consumed_ >= sh->len) {
    consumed_ = 0;
    ++tail_;
    ctl()->tail.store(tail_, std::memory_order_release);
  }
}

}  // namespace chorus::shm
