// Gloo as a Backend: a full-mesh TCP context on 127.0.0.1, rendezvous through a FileStore
// directory. Gloo's own algorithms; types Gloo has (no bfloat16, fp8) and ops it has (no avg).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "chorus-bench/backend.h"

namespace gloo {
class Context;
class Algorithm;
}  // namespace gloo

namespace chorus::bench {

class GlooBackend : public Backend {
 public:
  // Connects rank `rank` of `nranks` through `store_dir`. On failure ok() is false and error() says
  // why. `algo` is the all-reduce algorithm: "ring" or "halving_doubling".
  GlooBackend(int rank, int nranks, const std::string& store_dir, const std::string& algo, int timeout_s);
  ~GlooBackend() override;
  bool ok() const { return context_ != nullptr; }
  const std::string& error() const { return error_; }

  int rank() const override { return rank_; }
  int nranks() const override { return nranks_; }
  std::string version() const override;
  CallStatus Supports(const Case& c, bool in_place) const override;
  CallStatus Run(const Case& c, const CallBuffers& b) override;
  CallStatus Barrier() override;
  CallStatus AllGather(const double* mine, int n, double* all) override;
  void EndCase() override;

 private:
  template <typename T>
  CallStatus RunTyped(const Case& c, const CallBuffers& b);
  template <typename T>
  gloo::Algorithm* CachedAlgorithm(const Case& c, T* data, std::size_t count);

  int rank_;
  int nranks_;
  std::string algo_;
  std::string error_;
  std::shared_ptr<gloo::Context> context_;
  // Gloo's algorithm objects bind their buffers at construction: one per (buffer, case), reused by
  // every iteration of the case, dropped at its end.
  std::map<std::tuple<void*, std::size_t, int>, std::unique_ptr<gloo::Algorithm>> algorithms_;
  uint32_t tag_ = 0;
};

}  // namespace chorus::bench
