#include "core/env.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <strings.h>

#include "core/log.h"

namespace chorus {

std::string EnvString(const char* name, const std::string& fallback) {
  const char* v = getenv(name);
  return (v == nullptr || v[0] == 0) ? fallback : std::string(v);
}

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* v = getenv(name);
  if (v == nullptr || v[0] == 0) return fallback;
  errno = 0;
  char* end = nullptr;
  long long x = strtoll(v, &end, 0);
  if (errno != 0 || end == v) {
    CHORUS_WARN(kInit, "ignoring %s=%s: not an integer; using %lld", name, v,
                static_cast<long long>(fallback));
    return fallback;
  }
  switch (*end) {
    case 'k': case 'K': x <<= 10; ++end; break;
    case 'm': case 'M': x <<= 20; ++end; break;
    case 'g': case 'G': x <<= 30; ++end; break;
    default: break;
  }
  if (*end != 0) {
    CHORUS_WARN(kInit, "ignoring %s=%s: trailing characters; using %lld", name, v,
                static_cast<long long>(fallback));
    return fallback;
  }
  return x;
}

bool EnvBool(const char* name, bool fallback) {
  const char* v = getenv(name);
  if (v == nullptr || v[0] == 0) return fallback;
  if (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 ||
      strcasecmp(v, "on") == 0)
    return true;
  return false;
}

}  // namespace chorus
