#include "algorithms/registry.h"

#include <cstring>

namespace chorus::sched {

namespace {
std::vector<Algorithm>& Catalogue() {
  static std::vector<Algorithm> algorithms;
  return algorithms;
}
}  // namespace

const std::vector<Algorithm>& Algorithms() { return Catalogue(); }

const Algorithm* FindAlgorithm(const std::string& name) {
  for (const auto& a : Catalogue()) {
    if (name == a.name) return &a;
  }
  return nullptr;
}

std::vector<const Algorithm*> ApplicableAlgorithms(const CollArgs& args) {
  std::vector<const Algorithm*> out;
  for (const auto& a : Catalogue()) {
    if (a.applies(args)) out.push_back(&a);
  }
  return out;
}

namespace detail {
bool RegisterAlgorithm(const Algorithm& a) {
  Catalogue().push_back(a);
  return true;
}
}  // namespace detail

}  // namespace chorus::sched
