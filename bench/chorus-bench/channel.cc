#include "chorus-bench/channel.h"

#include <dirent.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace chorus::bench {

bool LineReader::TakeLine(std::string* line) {
  const auto nl = buffer_.find('\n');
  if (nl == std::string::npos) return false;
  line->assign(buffer_, 0, nl);
  buffer_.erase(0, nl + 1);
  return true;
}

LineReader::Result LineReader::Next(std::string* line, int timeout_ms) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms);
  for (;;) {
    if (TakeLine(line)) return Result::kLine;
    int wait = -1;
    if (timeout_ms >= 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return Result::kTimeout;
      wait = static_cast<int>(left);
    }
    struct pollfd p {fd_, POLLIN, 0};
    const int rc = poll(&p, 1, wait);
    if (rc < 0) {
      if (errno == EINTR) continue;
      return Result::kError;
    }
    if (rc == 0) return Result::kTimeout;
    char buf[4096];
    const ssize_t n = read(fd_, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return Result::kError;
    }
    if (n == 0) return Result::kClosed;
    buffer_.append(buf, static_cast<std::size_t>(n));
  }
}

bool WriteLine(int fd, const std::string& s) {
  std::string data = s + "\n";
  const char* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    const ssize_t n = write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        struct pollfd pf {fd, POLLOUT, 0};
        poll(&pf, 1, 100);
        continue;
      }
      return false;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return true;
}

std::string MakeTempDir(const std::string& prefix, std::string* error) {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp != nullptr && *tmp ? tmp : "/tmp") + "/" + prefix + "XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) {
    *error = "mkdtemp " + templ + ": " + std::strerror(errno);
    return "";
  }
  return buf.data();
}

void RemoveTree(const std::string& dir) {
  if (dir.empty()) return;
  if (DIR* d = opendir(dir.c_str())) {
    while (struct dirent* e = readdir(d)) {
      if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
      const std::string path = dir + "/" + e->d_name;
      struct stat st {};
      if (lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        RemoveTree(path);
      } else {
        unlink(path.c_str());
      }
    }
    closedir(d);
  }
  rmdir(dir.c_str());
}

bool MakeFifo(const std::string& path, std::string* error) {
  if (mkfifo(path.c_str(), 0600) != 0) {
    *error = "mkfifo " + path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace chorus::bench
