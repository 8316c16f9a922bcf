#include "bootstrap/connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace chorus::bootstrap {

namespace {
constexpr int kMaxReadsPerCall = 16;  // so that one busy peer cannot starve the others
}

Connection::~Connection() {
  if (fd_ >= 0) close(fd_);
}

void Connection::Close(const std::string& reason) {
  if (fd_ < 0) return;
  close(fd_);
  fd_ = -1;
  close_reason_ = reason;
  out_.clear();
  out_off_ = 0;
}

void Connection::QueueBytes(const void* data, size_t bytes) {
  if (fd_ < 0) return;
  if (out_off_ == out_.size()) {
    out_.clear();
    out_off_ = 0;
  }
  const uint8_t* p = static_cast<const uint8_t*>(data);
  out_.insert(out_.end(), p, p + bytes);
  Flush();
}

void Connection::QueueFrame(FrameKind kind, uint32_t tag, const void* data, size_t bytes) {
  uint8_t header[kFrameHeaderBytes];
  EncodeFrameHeader(FrameHeader{kind, tag, bytes}, header);
  QueueBytes(header, sizeof(header));
  if (bytes > 0) QueueBytes(data, bytes);
}

void Connection::Flush() {
  while (fd_ >= 0 && out_off_ < out_.size()) {
    ssize_t n = send(fd_, out_.data() + out_off_, out_.size() - out_off_, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      out_off_ += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    Close(n < 0 ? strerror(errno) : "send returned 0");
    return;
  }
}

void Connection::ReadAvailable() {
  for (int i = 0; i < kMaxReadsPerCall && fd_ >= 0; ++i) {
    uint8_t* dst;
    size_t want;
    if (!in_payload_) {
      dst = header_ + header_got_;
      want = kFrameHeaderBytes - header_got_;
    } else {
      dst = current_.data.data() + payload_got_;
      want = current_.data.size() - payload_got_;
    }
    ssize_t n = recv(fd_, dst, want, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      Close(strerror(errno));
      return;
    }
    if (n == 0) {
      Close((in_payload_ || header_got_ > 0) ? "closed in the middle of a message" : "");
      return;
    }
    if (!in_payload_) {
      header_got_ += static_cast<size_t>(n);
      if (header_got_ < kFrameHeaderBytes) continue;
      header_got_ = 0;
      FrameHeader h;
      Status s = DecodeFrameHeader(header_, &h);
      if (s.ok() && (allowed_ & (1u << static_cast<uint32_t>(h.kind))) == 0) {
        s = RemoteError("frame kind " + std::to_string(static_cast<uint32_t>(h.kind)) +
                        " is not allowed on this connection");
      }
      if (s.ok() && h.kind == FrameKind::kError && h.length > kMaxErrorTextBytes) {
        s = RemoteError("error text of " + std::to_string(h.length) + " bytes");
      }
      if (!s.ok()) {
        Close("sent a malformed frame: " + s.message());
        return;
      }
      current_ = Frame{h.kind, h.tag, {}};
      current_.data.resize(h.length);
      payload_got_ = 0;
      in_payload_ = true;
    } else {
      payload_got_ += static_cast<size_t>(n);
    }
    if (in_payload_ && payload_got_ == current_.data.size()) {
      queue_.push_back(std::move(current_));
      current_ = Frame();
      in_payload_ = false;
    }
  }
}

}  // namespace chorus::bootstrap
