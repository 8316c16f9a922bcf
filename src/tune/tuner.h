// Choosing how to run a collective: every applicable algorithm, with a few channel counts and
// chunk sizes, is priced on the link model by the simulator (simulator.h) and the cheapest wins.
// CHORUS_ALGO forces the algorithm: "ring" for every collective, or per collective
// ("allreduce=rabenseifner,broadcast=chain"; a per-collective entry beats a bare name). A forced
// algorithm that does not apply to a call is an error, not a silent fallback.
// CHORUS_TUNER_PLUGIN names a tuner plugin (plugin.h) that may re-rank the model's candidates;
// CHORUS_ALGO beats it for the collectives it forces.
//
// The comm layer owns one Tuner per communicator (decisions are cached per call shape and
// model) and must call it with the same arguments on every rank: the choice is deterministic, so
// every rank picks the same schedule.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>

#include "algorithms/registry.h"
#include "algorithms/schedule.h"
#include "core/status.h"
#include "tune/link_model.h"

namespace chorus::tune {

class TunerPlugin;

struct Choice {
  const sched::Algorithm* algorithm = nullptr;
  sched::CollArgs args;          // the call's arguments with channels and chunk_bytes chosen
  double est_seconds = 0;        // the model's estimate
  bool forced = false;           // by CHORUS_ALGO
  std::string runner_up;         // best other algorithm ("" when there is none)
  double runner_up_seconds = 0;
  std::string plugin;            // the tuner plugin consulted ("" when none was)
};

// CHORUS_ALGO, parsed.
struct AlgoOverride {
  std::string all;                                // bare name: every collective
  std::map<Collective, std::string> per_collective;
  // The algorithm forced for `c`, or "".
  const std::string& For(Collective c) const;
  bool empty() const { return all.empty() && per_collective.empty(); }
};
Status ParseAlgoOverride(const std::string& text, AlgoOverride* out);

// Prices the candidates for `base` and returns the cheapest. base.channels is the most channels
// the caller can run (its connections'); the choice uses 1, 2 or 4 up to that. chunk_bytes is
// ignored (chosen), has_output is set per rank, and it is priced out of place whatever in_place
// says (in-place-ness is per rank and never changes a schedule's messages, so ranks that differ
// in it still choose alike); out->args carries base's in_place and has_output back. No caching,
// no environment. `plugin`, when given, re-ranks the candidates unless `force` names an algorithm.
Status Choose(const sched::CollArgs& base, const LinkModel& model, const AlgoOverride& force,
              Choice* out, const TunerPlugin* plugin = nullptr);

class Tuner {
 public:
  // Reads CHORUS_ALGO; a malformed value is reported by every Choose(). Loads CHORUS_TUNER_PLUGIN
  // (a plugin that fails to load is a WARN, and the model chooses alone).
  explicit Tuner(LinkModel model);
  // Reads CHORUS_ALGO; uses `plugin` (may be null) instead of loading CHORUS_TUNER_PLUGIN: the
  // communicator loads it first, to check that every rank has the same one.
  Tuner(LinkModel model, std::unique_ptr<TunerPlugin> plugin);
  ~Tuner();
  Status Choose(const sched::CollArgs& base, Choice* out);
  const LinkModel& model() const { return model_; }
  const TunerPlugin* plugin() const { return plugin_.get(); }

 private:
  using Key = std::tuple<int, Count, Bytes, int, Rank, int, int, bool, int>;
  LinkModel model_;
  AlgoOverride force_;
  Status force_status_;
  std::mutex mu_;
  std::map<Key, Choice> cache_;
  std::unique_ptr<TunerPlugin> plugin_;
};

// "64MiB", "1.5KiB", "12B".
std::string FormatBytes(double bytes);

}  // namespace chorus::tune
