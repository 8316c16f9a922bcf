// Errors travel inside Chorus as values: a Status carries a chorusResult_t and a message, and
// becomes the C result (plus the communicator's last-error text) at the API edge.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "chorus/chorus.h"

namespace chorus {

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(chorusResult_t code, std::string message)
      : code_(code), message_(message.empty() ? nullptr : std::make_unique<std::string>(std::move(message))) {}
  Status(const Status& o) : code_(o.code_), message_(o.message_ ? std::make_unique<std::string>(*o.message_) : nullptr) {}
  Status& operator=(const Status& o) {
    if (this != &o) {
      code_ = o.code_;
      message_ = o.message_ ? std::make_unique<std::string>(*o.message_) : nullptr;
    }
    return *this;
  }
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

  static Status Ok() { return Status(); }
  bool ok() const { return code_ == chorusSuccess; }
  chorusResult_t code() const { return code_; }
  const std::string& message() const { return message_ ? *message_ : Empty(); }

 private:
  static const std::string& Empty() {
    static const std::string empty;
    return empty;
  }
  chorusResult_t code_ = chorusSuccess;
  // Held apart, so that the Ok statuses every call passes up and down its layers cost two words
  // and no string (a std::string inside was a measurable part of a small call's time).
  std::unique_ptr<std::string> message_;
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
