// --baseline floor: the memory-traffic floor of a collective, measured in the same run. Each rank
// reads the bytes its call reads and writes the bytes its call writes, once, with no messages: no
// collective on this machine can finish faster. Ranks run at once, as the collective's do, so the
// floor counts the memory bandwidth they share (two cores streaming at once move less than twice
// what one does alone).
#pragma once

#include <cstddef>
#include <string>

#include "chorus-bench/backend.h"

namespace chorus::bench {

// Bytes one rank's out-of-place call reads from its input and writes to its output.
struct FloorTraffic {
  std::size_t read = 0;
  std::size_t write = 0;
};
FloorTraffic FloorTrafficOf(const Case& c, int rank, int nranks);

// Copies `read` bytes of `src` into `dst`; writes past them repeat the input (or zeros when there
// is none), reads past the output's end are summed into a sink. `streaming`: non-temporal stores
// (the output is not read back soon), else memcpy.
void FloorCopy(void* dst, std::size_t write, const void* src, std::size_t read, bool streaming);

// A Backend whose "collective" is FloorCopy of the case's traffic, then a barrier (a call lasts
// until the slowest rank is done, and the ranks copy together); barriers and gathers go to
// `inner` (the ranks' real communicator). Whether streaming or memcpy is faster is timed once per
// case, so the floor is the better of the two at every size.
//
// `serial`: the ranks copy one after another (a barrier between turns), so a call takes the sum of
// their copies: n x S bytes at one core's copy bandwidth, the floor as the all-reduce issue states
// it ("n*S / memcpy bandwidth"). Without it, at once: the machine's shared bandwidth, the stricter
// floor. Either way a call pays its barriers (n + 1 in serial), which dominate small sizes.
class FloorBackend : public Backend {
 public:
  FloorBackend(Backend& inner, bool serial) : inner_(inner), serial_(serial) {}

  int rank() const override { return inner_.rank(); }
  int nranks() const override { return inner_.nranks(); }
  std::string version() const override;
  CallStatus Supports(const Case& c, bool in_place) const override;
  CallStatus Run(const Case& c, const CallBuffers& b) override;
  CallStatus Barrier() override { return inner_.Barrier(); }
  CallStatus AllGather(const double* mine, int n, double* all) override { return inner_.AllGather(mine, n, all); }
  void EndCase() override;
  BufferMemory memory() const override { return inner_.memory(); }
  bool ProducesResults() const override { return false; }

 private:
  void Choose(const Case& c, const CallBuffers& b, const FloorTraffic& t);

  Backend& inner_;
  bool serial_;
  int chosen_case_ = -1;  // the case `streaming_` was timed for
  bool streaming_ = false;
};

}  // namespace chorus::bench
