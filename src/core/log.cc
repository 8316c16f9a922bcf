#include "core/log.h"

#include <strings.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

namespace chorus {

namespace {

struct LogConfig {
  LogLevel level = LogLevel::kWarn;
  unsigned mask = static_cast<unsigned>(LogSubsys::kAll);
  FILE* out = stderr;
  std::mutex mu;
};

const char* SubsysName(LogSubsys s) {
  switch (s) {
    case LogSubsys::kInit: return "INIT";
    case LogSubsys::kBootstrap: return "BOOTSTRAP";
    case LogSubsys::kTopo: return "TOPO";
    case LogSubsys::kTune: return "TUNE";
    case LogSubsys::kTransport: return "TRANSPORT";
    case LogSubsys::kExec: return "EXEC";
    case LogSubsys::kColl: return "COLL";
    default: return "ALL";
  }
}

unsigned ParseMask(const char* text) {
  unsigned mask = 0;
  std::string s(text);
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t comma = s.find(',', pos);
    std::string item = s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    for (unsigned bit = 1; bit != 0 && bit <= static_cast<unsigned>(LogSubsys::kColl); bit <<= 1) {
      if (strcasecmp(item.c_str(), SubsysName(static_cast<LogSubsys>(bit))) == 0) mask |= bit;
    }
    if (strcasecmp(item.c_str(), "ALL") == 0) mask = static_cast<unsigned>(LogSubsys::kAll);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return mask;
}

LogConfig& Config() {
  static LogConfig* config = [] {
    auto* c = new LogConfig();
    if (const char* lvl = getenv("CHORUS_DEBUG")) {
      if (strcasecmp(lvl, "NONE") == 0) c->level = LogLevel::kNone;
      else if (strcasecmp(lvl, "INFO") == 0) c->level = LogLevel::kInfo;
      else if (strcasecmp(lvl, "TRACE") == 0) c->level = LogLevel::kTrace;
      else c->level = LogLevel::kWarn;
    }
    if (const char* subsys = getenv("CHORUS_DEBUG_SUBSYS")) c->mask = ParseMask(subsys);
    if (const char* file = getenv("CHORUS_DEBUG_FILE")) {
      std::string path;
      char host[256] = "host";
      gethostname(host, sizeof(host) - 1);
      for (const char* p = file; *p; ++p) {
        if (p[0] == '%' && p[1] == 'h') { path += host; ++p; }
        else if (p[0] == '%' && p[1] == 'p') { path += std::to_string(getpid()); ++p; }
        else path += *p;
      }
      if (FILE* f = fopen(path.c_str(), "a")) c->out = f;
    }
    return c;
  }();
  return *config;
}

}  // namespace

bool LogEnabled(LogLevel level, LogSubsys subsys) {
  LogConfig& c = Config();
  return static_cast<int>(level) <= static_cast<int>(c.level) &&
         (c.mask & static_cast<unsigned>(subsys)) != 0;
}

void LogMessage(LogLevel level, LogSubsys subsys, const char* fmt, ...) {
  LogConfig& c = Config();
  char body[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(body, sizeof(body), fmt, ap);
  va_end(ap);
  static char host[64] = {0};
  if (host[0] == 0) gethostname(host, sizeof(host) - 1);
  const char* lvl = level == LogLevel::kWarn ? "WARN" : level == LogLevel::kInfo ? "INFO" : "TRACE";
  std::lock_guard<std::mutex> lock(c.mu);
  fprintf(c.out, "%s:%d CHORUS %s %s %s\n", host, static_cast<int>(getpid()), lvl, SubsysName(subsys),
          body);
  fflush(c.out);
}

}  // namespace chorus
