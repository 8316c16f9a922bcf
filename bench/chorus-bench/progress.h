// A one-line progress indicator on stderr ("[12/48] allreduce float sum 4 MiB: chorus"), drawn only
// when stderr is a terminal (or when asked), erased when done.
#pragma once

#include <string>

namespace chorus::bench {

class Progress {
 public:
  // setting: -1 auto (isatty(2)), 0 off, 1 on.
  Progress(int setting, int total);
  ~Progress() { Done(); }
  void Update(int done, const std::string& what);
  void Done();
  bool enabled() const { return enabled_; }

 private:
  bool enabled_;
  bool drawn_ = false;
  int total_;
};

}  // namespace chorus::bench
