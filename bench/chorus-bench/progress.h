// A one-line progress indicator on stderr ("[12/48] allreduce float sum 4 MiB: chorus"), erased
// when done. Automatic: only when stderr is a terminal, and only once the sweep has run for a few
// seconds (a short run's output stays as it was). Asked for: from the first case.
#pragma once

#include <chrono>
#include <string>

namespace chorus::bench {

class Progress {
 public:
  // setting: -1 auto (isatty(2), after kAutoDelay), 0 off, 1 on (at once).
  Progress(int setting, int total);
  ~Progress() { Done(); }
  void Update(int done, const std::string& what);
  void Done();
  bool enabled() const { return enabled_; }

  static constexpr std::chrono::milliseconds kAutoDelay{2000};

 private:
  bool enabled_;
  bool drawn_ = false;
  int total_;
  std::chrono::steady_clock::time_point show_after_;
};

}  // namespace chorus::bench
