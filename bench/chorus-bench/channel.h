// Line-oriented I/O on pipes (FIFOs) for the worker protocol.
#pragma once

#include <string>

namespace chorus::bench {

// Buffers bytes read from one descriptor and hands out complete lines.
class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}
  enum class Result { kLine, kTimeout, kClosed, kError };
  // Waits up to timeout_ms (-1: forever) for a complete line (without its newline).
  Result Next(std::string* line, int timeout_ms);
  int fd() const { return fd_; }

 private:
  bool TakeLine(std::string* line);
  int fd_;
  std::string buffer_;
};

// Writes s + '\n' completely. False on error (EPIPE included).
bool WriteLine(int fd, const std::string& s);

// A fresh private directory under $TMPDIR (or /tmp); "" on failure (errno-based message in *error).
std::string MakeTempDir(const std::string& prefix, std::string* error);
// Removes the directory and everything under it (no symlinks followed).
void RemoveTree(const std::string& dir);
bool MakeFifo(const std::string& path, std::string* error);

}  // namespace chorus::bench
