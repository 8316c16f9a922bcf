#include "core/status.h"

#include <cstring>

namespace chorus {

std::string ErrnoMessage(const std::string& what, int err) {
  char buf[256];
  // GNU strerror_r may return a static string instead of filling buf.
  const char* text = strerror_r(err, buf, sizeof(buf));
  return what + ": " + text + " (errno " + std::to_string(err) + ")";
}

}  // namespace chorus
