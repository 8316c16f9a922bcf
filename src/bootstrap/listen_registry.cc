#include "bootstrap/listen_registry.h"

#include <unistd.h>

#include <map>
#include <mutex>
#include <string>

namespace chorus::bootstrap {

namespace {

struct Registry {
  std::mutex mu;
  std::map<std::string, int> fds;
};

Registry& Get() {
  static Registry* r = new Registry();  // never destroyed: may be used from atexit paths
  return *r;
}

std::string Key(const chorusUniqueId& id) { return std::string(id.internal, sizeof(id.internal)); }

}  // namespace

void RegisterListenFd(const chorusUniqueId& id, int fd) {
  Registry& r = Get();
  std::lock_guard<std::mutex> lock(r.mu);
  auto [it, inserted] = r.fds.emplace(Key(id), fd);
  if (!inserted) {
    close(it->second);
    it->second = fd;
  }
}

int TakeListenFd(const chorusUniqueId& id) {
  Registry& r = Get();
  std::lock_guard<std::mutex> lock(r.mu);
  auto it = r.fds.find(Key(id));
  if (it == r.fds.end()) return -1;
  int fd = it->second;
  r.fds.erase(it);
  return fd;
}

}  // namespace chorus::bootstrap
