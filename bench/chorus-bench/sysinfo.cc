#include "chorus-bench/sysinfo.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "chorus-bench/sizes.h"

extern char** environ;

namespace chorus::bench {
namespace {

std::string Trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  const auto e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

}  // namespace

SystemInfo GetSystemInfo() {
  SystemInfo info;
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0) info.host = host;
  struct utsname u {};
  if (uname(&u) == 0) info.kernel = std::string(u.sysname) + " " + u.release + " " + u.machine;
  info.cores = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  std::ifstream cpu("/proc/cpuinfo");
  for (std::string line; std::getline(cpu, line);) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) info.cpu_model = Trim(line.substr(colon + 1));
      break;
    }
  }
  if (info.cpu_model.empty()) info.cpu_model = "unknown";
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0) info.memory = HumanBytes(static_cast<double>(pages) * static_cast<double>(page));
  std::ifstream loadavg("/proc/loadavg");
  std::string l1, l5, l15;
  if (loadavg >> l1 >> l5 >> l15) info.load = l1 + " " + l5 + " " + l15;
  return info;
}

std::vector<std::pair<std::string, std::string>> EnvWithPrefix(const std::string& prefix) {
  std::vector<std::pair<std::string, std::string>> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq == nullptr) continue;
    std::string name(*e, static_cast<std::size_t>(eq - *e));
    if (name.rfind(prefix, 0) == 0) out.emplace_back(name, eq + 1);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string ShellJoin(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) {
    if (!out.empty()) out += ' ';
    const bool plain = !a.empty() && a.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                         "0123456789-_./=:,+%@") == std::string::npos;
    if (plain) {
      out += a;
      continue;
    }
    out += '\'';
    for (char c : a) {
      if (c == '\'') {
        out += "'\\''";
      } else {
        out += c;
      }
    }
    out += '\'';
  }
  return out;
}

}  // namespace chorus::bench
