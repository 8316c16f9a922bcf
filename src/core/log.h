// Logging with subsystems. Cheap when off: the level/subsystem check is one load and a compare.
//
// CHORUS_DEBUG=WARN|INFO|TRACE (default: WARN) and CHORUS_DEBUG_SUBSYS=INIT,TUNE,... (default: all)
// select what is printed; CHORUS_DEBUG_FILE=path (%h host, %p pid) redirects it from stderr.
#pragma once

#include <cstdarg>

namespace chorus {

enum class LogLevel : int { kNone = 0, kWarn = 1, kInfo = 2, kTrace = 3 };
enum class LogSubsys : unsigned {
  kInit = 1u << 0,
  kBootstrap = 1u << 1,
  kTopo = 1u << 2,
  kTune = 1u << 3,
  kTransport = 1u << 4,
  kExec = 1u << 5,
  kColl = 1u << 6,
  kAll = ~0u,
};

bool LogEnabled(LogLevel level, LogSubsys subsys);
void LogMessage(LogLevel level, LogSubsys subsys, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));

}  // namespace chorus

#define CHORUS_LOG(level, subsys, ...)                                                  \
  do {                                                                                  \
    if (::chorus::LogEnabled(::chorus::LogLevel::level, ::chorus::LogSubsys::subsys))   \
      ::chorus::LogMessage(::chorus::LogLevel::level, ::chorus::LogSubsys::subsys, __VA_ARGS__); \
  } while (0)
#define CHORUS_WARN(subsys, ...) CHORUS_LOG(kWarn, subsys, __VA_ARGS__)
#define CHORUS_INFO(subsys, ...) CHORUS_LOG(kInfo, subsys, __VA_ARGS__)
#define CHORUS_TRACE(subsys, ...) CHORUS_LOG(kTrace, subsys, __VA_ARGS__)
