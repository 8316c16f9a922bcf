// One bootstrap socket after (or before) its hello: non-blocking, with an output buffer that the
// progress loop drains and an input side that cuts the byte stream into frames.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "bootstrap/wire.h"
#include "core/status.h"
#include "core/types.h"

namespace chorus::bootstrap {

struct Frame {
  FrameKind kind = FrameKind::kP2p;
  uint32_t tag = 0;
  std::vector<uint8_t> data;
};

class Connection {
 public:
  // `allowed_kinds`: bit (1 << kind) for every frame kind the peer may send on this socket; any
  // other kind is a protocol violation that closes it.
  Connection(int fd, Rank peer, uint32_t allowed_kinds) : fd_(fd), peer_(peer), allowed_(allowed_kinds) {}
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  int fd() const { return fd_; }
  Rank peer() const { return peer_; }
  bool closed() const { return fd_ < 0; }
  // Why it closed: "" for an orderly close by the peer, else e.g. "connection reset by peer".
  const std::string& close_reason() const { return close_reason_; }

  // Output: appends raw bytes / a framed message and tries to write at once.
  void QueueBytes(const void* data, size_t bytes);
  void QueueFrame(FrameKind kind, uint32_t tag, const void* data, size_t bytes);
  bool HasPendingOutput() const { return out_off_ < out_.size(); }
  // Writes what the socket takes now. Never blocks. A failed write closes the connection.
  void Flush();

  // Input: reads what is available now (a bounded number of recv calls) and appends complete
  // frames to queue(). End of stream or a malformed frame closes the connection.
  void ReadAvailable();
  std::deque<Frame>& queue() { return queue_; }

  void Close(const std::string& reason);

  bool close_noted = false;  // the owner has reacted to the closure (logged, relayed)

 private:
  int fd_;
  Rank peer_;
  uint32_t allowed_;
  std::string close_reason_;
  std::vector<uint8_t> out_;
  size_t out_off_ = 0;
  uint8_t header_[kFrameHeaderBytes] = {};
  size_t header_got_ = 0;
  bool in_payload_ = false;
  Frame current_;
  size_t payload_got_ = 0;
  std::deque<Frame> queue_;
};

}  // namespace chorus::bootstrap
