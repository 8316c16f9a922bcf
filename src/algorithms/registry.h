// The catalogue of schedule generators. Each generator file registers itself with
// CHORUS_REGISTER_ALGORITHM; the tuner and the verifier enumerate the catalogue, so adding an
// algorithm is one file.
#pragma once

#include <string>
#include <vector>

#include "algorithms/schedule.h"
#include "core/status.h"

namespace chorus::sched {

struct Algorithm {
  const char* name;  // "ring", "chain", "pairwise", ...
  // Whether it can build `args` (collective supported, rank count allowed, ...).
  bool (*applies)(const CollArgs& args);
  // Builds rank `rank`'s program for `args`.
  Status (*generate)(const CollArgs& args, Rank rank, RankProgram* out);
};

// All registered algorithms, in registration order.
const std::vector<Algorithm>& Algorithms();
const Algorithm* FindAlgorithm(const std::string& name);
// Those that apply to args.
std::vector<const Algorithm*> ApplicableAlgorithms(const CollArgs& args);

namespace detail {
bool RegisterAlgorithm(const Algorithm& a);
}

}  // namespace chorus::sched

// Static registration. The library is linked as a whole archive (see src/CMakeLists.txt) so these
// initialisers are never dropped.
#define CHORUS_REGISTER_ALGORITHM(ident, name, applies, generate)               \
  static const bool chorus_algorithm_registered_##ident =                      \
      ::chorus::sched::detail::RegisterAlgorithm({name, applies, generate})
