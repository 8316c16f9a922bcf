// The collective arguments a schedule test starts from: the tuner, plugin and unread-result tests
// all build these the same way.
#pragma once

#include "algorithms/schedule.h"

namespace chorus::testing {

inline sched::CollArgs SchedArgs(Collective coll, int nranks, Count count, int channels = 1) {
  sched::CollArgs a;
  a.coll = coll;
  a.nranks = nranks;
  a.count = count;
  a.channels = channels;
  return a;
}

}  // namespace chorus::testing
