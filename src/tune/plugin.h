// Tuner plugins (include/chorus/tuner_plugin.h): loading one from the path the user names in
// CHORUS_TUNER_PLUGIN, and letting it re-rank the cost model's candidates.
//
// Only the named file is loaded: an absolute path, or one relative to the working directory that
// contains a '/' ("./libmine.so"). A bare name is refused, so the dynamic loader never searches
// LD_LIBRARY_PATH or the system directories for it. A plugin that cannot be loaded, lacks the
// symbol, fills its struct incompletely or fails init is reported (WARN, TUNE) and ignored: the
// communicator is created and the cost model chooses alone.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "algorithms/registry.h"
#include "algorithms/schedule.h"
#include "chorus/tuner_plugin.h"
#include "core/status.h"
#include "tune/link_model.h"
#include "tune/tuner.h"

namespace chorus::tune {

class TunerPlugin {
 public:
  // Loads, validates and initialises the plugin at `path`.
  static Status Load(const std::string& path, std::unique_ptr<TunerPlugin>* out);
  // CHORUS_TUNER_PLUGIN: nullptr when unset or empty, and (after a WARN) when loading fails.
  static std::unique_ptr<TunerPlugin> FromEnv();

  TunerPlugin(const TunerPlugin&) = delete;
  TunerPlugin& operator=(const TunerPlugin&) = delete;
  ~TunerPlugin();  // destroy(context), then dlclose

  const std::string& name() const { return name_; }
  const std::string& path() const { return path_; }
  int version() const { return version_; }

  // One getCollInfo call; `cost` (algos x channel_options, row-major) is read and rewritten.
  Status GetCollInfo(const sched::CollArgs& args, double bytes, const std::vector<const char*>& algos,
                     const std::vector<int>& channel_options, std::vector<float>* cost) const;

 private:
  TunerPlugin() = default;
  void* handle_ = nullptr;
  const chorusTunerPlugin_v1_t* v1_ = nullptr;
  void* context_ = nullptr;
  int version_ = 0;
  std::string name_, path_;
  mutable std::mutex mu_;  // calls into one context never overlap
};

// What identifies a plugin across ranks: "<name> v<ABI version> <file name>", or "none" for
// nullptr. Ranks whose identities differ would choose differently (docs/plugins.md).
std::string PluginIdentity(const TunerPlugin* plugin);

// The tuner's hook. `priced` holds the model's cheapest candidate per (algorithm, channels) it
// priced; `choice` is the model's pick. Builds the cost table for `algos` x `channel_options`,
// lets the plugin rewrite it and replaces *choice with the cheapest runnable entry (pricing it on
// `model` if the model had not). On any plugin failure *choice is left alone, with a WARN.
void ApplyTunerPlugin(const TunerPlugin& plugin, const sched::CollArgs& base, double bytes,
                      const LinkModel& model, const std::vector<const sched::Algorithm*>& algos,
                      const std::vector<int>& channel_options, const std::vector<Choice>& priced,
                      Choice* choice);

}  // namespace chorus::tune
