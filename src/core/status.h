// Errors travel inside Chorus as values: a Status carries a chorusResult_t and a message, and
// becomes the C result (plus the communicator's last-error text) at the API edge.
#pragma once

#include <string>
#include <utility>

#include "chorus/chorus.h"

namespace chorus {

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(chorusResult_t code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  bool ok() const { return code_ == chorusSuccess; }
  chorusResult_t code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  chorusResult_t code_ = chorusSuccess;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return Status(chorusInvalidArgument, std::move(m)); }
inline Status InvalidUsage(std::string m) { return Status(chorusInvalidUsage, std::move(m)); }
inline Status SystemError(std::string m) { return Status(chorusSystemError, std::move(m)); }
inline Status InternalError(std::string m) { return Status(chorusInternalError, std::move(m)); }
inline Status RemoteError(std::string m) { return Status(chorusRemoteError, std::move(m)); }
inline Status Timeout(std::string m) { return Status(chorusTimeout, std::move(m)); }

// Formats "what: strerror(errno)" for a failed system call.
std::string ErrnoMessage(const std::string& what, int err);

}  // namespace chorus

#define CHORUS_RETURN_IF_ERROR(expr)          \
  do {                                        \
    ::chorus::Status _chorus_status = (expr); \
    if (!_chorus_status.ok()) return _chorus_status; \
  } while (0)
