#include "chorus-bench/progress.h"

#include <unistd.h>

#include <cstdio>

namespace chorus::bench {

Progress::Progress(int setting, int total)
    : enabled_(setting == 1 || (setting < 0 && isatty(STDERR_FILENO) == 1)),
      total_(total),
      show_after_(std::chrono::steady_clock::now() + (setting == 1 ? std::chrono::milliseconds(0) : kAutoDelay)) {}

void Progress::Update(int done, const std::string& what) {
  if (!enabled_) return;
  if (!drawn_ && std::chrono::steady_clock::now() < show_after_) return;
  std::fprintf(stderr, "\r\033[K[%d/%d] %s", done, total_, what.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::Done() {
  if (!enabled_ || !drawn_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace chorus::bench
