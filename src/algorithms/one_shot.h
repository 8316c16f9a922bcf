// One-shot all-reduce's channel body (one_shot.cc), for generators whose schedule it is at some
// rank counts: recursive doubling on two ranks is one exchange of everything, which is one-shot.
#pragma once

#include "algorithms/emit.h"

namespace chorus::sched {

// Writes the one-shot all-reduce of channel part `part` with `e` (chunk_bytes sets the piece
// size); returns the scratch elements used from `scratch_base`.
Count OneShotAllReduce(const CollArgs& a, Rank r, Range part, Count scratch_base, const Emitter& e);

}  // namespace chorus::sched
