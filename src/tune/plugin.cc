#include "tune/plugin.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/env.h"
#include "core/log.h"
#include "core/types.h"
#include "tune/simulator.h"

namespace chorus::tune {

// The plugin sees chorus::Collective through the ABI's fixed values.
static_assert(static_cast<int>(Collective::kAllReduce) == chorusCollAllReduce);
static_assert(static_cast<int>(Collective::kAllGather) == chorusCollAllGather);
static_assert(static_cast<int>(Collective::kReduceScatter) == chorusCollReduceScatter);
static_assert(static_cast<int>(Collective::kAllToAll) == chorusCollAllToAll);
static_assert(static_cast<int>(Collective::kBroadcast) == chorusCollBroadcast);
static_assert(static_cast<int>(Collective::kReduce) == chorusCollReduce);
static_assert(static_cast<int>(Collective::kSendRecv) == chorusCollSendRecv);
static_assert(static_cast<int>(Collective::kBarrier) == chorusCollBarrier);
static_assert(kNumCollectives == chorusNumCollectives);

namespace {

void PluginLog(chorusTunerLogLevel_t level, const char* message) {
  const LogLevel l = level == chorusTunerLogWarn   ? LogLevel::kWarn
                     : level == chorusTunerLogInfo ? LogLevel::kInfo
                                                   : LogLevel::kTrace;
  if (LogEnabled(l, LogSubsys::kTune))
    LogMessage(l, LogSubsys::kTune, "tuner plugin: %s", message != nullptr ? message : "(null)");
}

// Plugins may return any int; chorusGetErrorString is defined for the enum's values only.
std::string ResultText(chorusResult_t r) {
  const int v = static_cast<int>(r);
  if (v >= 0 && v < chorusNumResults) return chorusGetErrorString(r);
  return "result code " + std::to_string(v);
}

std::string DlError() {
  const char* e = dlerror();
  return e != nullptr ? e : "unknown dynamic loader error";
}

std::string Shape(const sched::CollArgs& base, double bytes) {
  return std::string(Name(base.coll)) + " " + FormatBytes(bytes) + " x" + std::to_string(base.nranks) +
         " ranks";
}

std::string Describe(const Choice& c) {
  return std::string(c.algorithm->name) + ", " + std::to_string(c.args.channels) + " channel" +
         (c.args.channels == 1 ? "" : "s");
}

}  // namespace

Status TunerPlugin::Load(const std::string& path, std::unique_ptr<TunerPlugin>* out) {
  out->reset();
  const std::string what = "tuner plugin '" + path + "'";
  if (path.empty()) return InvalidArgument("tuner plugin: empty path");
  if (path.find('/') == std::string::npos) {
    return InvalidArgument(what + " is a bare name: tuner plugins are loaded only from a path " +
                           "(absolute, or relative to the working directory such as './" + path +
                           "'); Chorus never searches library directories for one");
  }
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return InvalidArgument(ErrnoMessage(what + ": cannot open", errno));
  if (!S_ISREG(st.st_mode)) return InvalidArgument(what + " is not a regular file");

  dlerror();
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) return InvalidArgument(what + ": cannot load: " + DlError());
  auto fail = [&](const std::string& message) {
    dlclose(handle);
    return InvalidArgument(what + ": " + message);
  };

  // Newest version first; a v2 adds its symbol (and an adapter) in front of this list.
  dlerror();
  const auto* v1 = static_cast<const chorusTunerPlugin_v1_t*>(dlsym(handle, CHORUS_TUNER_PLUGIN_SYMBOL));
  if (v1 == nullptr) {
    return fail(std::string("exports no tuner plugin (looked for ") + CHORUS_TUNER_PLUGIN_SYMBOL +
                "; this Chorus knows ABI version " + std::to_string(CHORUS_TUNER_PLUGIN_VERSION) + ")");
  }
  std::string missing;
  auto need = [&](bool present, const char* field) {
    if (!present) missing += std::string(missing.empty() ? "" : ", ") + field;
  };
  need(v1->name != nullptr, "name");
  need(v1->init != nullptr, "init");
  need(v1->getCollInfo != nullptr, "getCollInfo");
  need(v1->destroy != nullptr, "destroy");
  if (!missing.empty()) return fail(std::string(CHORUS_TUNER_PLUGIN_SYMBOL) + " leaves NULL: " + missing);

  const std::string name = v1->name;
  void* context = nullptr;
  const chorusResult_t r = v1->init(&PluginLog, &context);
  if (r != chorusSuccess) return fail("'" + name + "' init failed: " + ResultText(r));

  std::unique_ptr<TunerPlugin> p(new TunerPlugin());
  p->handle_ = handle;
  p->v1_ = v1;
  p->context_ = context;
  p->version_ = 1;
  p->name_ = name;
  p->path_ = path;
  CHORUS_INFO(kTune, "loaded tuner plugin '%s' (ABI v1) from %s", name.c_str(), path.c_str());
  *out = std::move(p);
  return Status::Ok();
}

std::unique_ptr<TunerPlugin> TunerPlugin::FromEnv() {
  const std::string path = EnvString("CHORUS_TUNER_PLUGIN");
  if (path.empty()) return nullptr;
  std::unique_ptr<TunerPlugin> p;
  Status st = Load(path, &p);
  if (!st.ok()) {
    CHORUS_WARN(kTune, "CHORUS_TUNER_PLUGIN: %s; continuing without it (the cost model chooses)",
                st.message().c_str());
    return nullptr;
  }
  return p;
}

std::string PluginIdentity(const TunerPlugin* p) {
  if (p == nullptr) return "none";
  const std::string& path = p->path();
  return p->name() + " v" + std::to_string(p->version()) + " " + path.substr(path.rfind('/') + 1);
}

TunerPlugin::~TunerPlugin() {
  if (v1_ != nullptr) {
    const chorusResult_t r = v1_->destroy(context_);
    if (r != chorusSuccess)
      CHORUS_WARN(kTune, "tuner plugin '%s': destroy failed: %s", name_.c_str(), ResultText(r).c_str());
  }
  if (handle_ != nullptr) dlclose(handle_);
}

Status TunerPlugin::GetCollInfo(const sched::CollArgs& args, double bytes,
                                const std::vector<const char*>& algos,
                                const std::vector<int>& channel_options,
                                std::vector<float>* cost) const {
  if (cost->size() != algos.size() * channel_options.size())
    return InternalError("tuner plugin: cost table of the wrong size");
  std::lock_guard<std::mutex> lock(mu_);
  const chorusResult_t r = v1_->getCollInfo(
      context_, static_cast<int>(args.coll), static_cast<size_t>(bytes), args.elem_size,
      static_cast<int>(args.op), args.nranks, args.ranks_per_node, static_cast<int>(algos.size()),
      algos.data(), static_cast<int>(channel_options.size()), channel_options.data(), cost->data());
  if (r != chorusSuccess)
    return InvalidUsage("tuner plugin '" + name_ + "': getCollInfo failed: " + ResultText(r));
  return Status::Ok();
}

void ApplyTunerPlugin(const TunerPlugin& plugin, const sched::CollArgs& base, double bytes,
                      const LinkModel& model, const std::vector<const sched::Algorithm*>& algos,
                      const std::vector<int>& channel_options, const std::vector<Choice>& priced,
                      Choice* choice) {
  const size_t na = algos.size(), nc = channel_options.size();
  if (na == 0 || nc == 0) return;
  std::vector<float> cost(na * nc, std::numeric_limits<float>::infinity());
  std::vector<const Choice*> cell(na * nc, nullptr);
  for (const Choice& p : priced) {
    size_t a = std::find(algos.begin(), algos.end(), p.algorithm) - algos.begin();
    size_t c = std::find(channel_options.begin(), channel_options.end(), p.args.channels) -
               channel_options.begin();
    if (a == na || c == nc) continue;
    cost[a * nc + c] = static_cast<float>(p.est_seconds);
    cell[a * nc + c] = &p;
  }
  const std::vector<float> before = cost;
  std::vector<const char*> names;
  for (const sched::Algorithm* a : algos) names.push_back(a->name);
  const std::string shape = Shape(base, bytes);

  Status st = plugin.GetCollInfo(base, bytes, names, channel_options, &cost);
  if (!st.ok()) {
    CHORUS_WARN(kTune, "%s for %s; using the model's choice (%s)", st.message().c_str(), shape.c_str(),
                Describe(*choice).c_str());
    return;
  }
  if (LogEnabled(LogLevel::kTrace, LogSubsys::kTune)) {
    std::string table;
    for (size_t i = 0; i < na * nc; ++i) {
      char cellText[160];
      std::snprintf(cellText, sizeof(cellText), " %s/%d:%g->%g", names[i / nc], channel_options[i % nc],
                    static_cast<double>(before[i]), static_cast<double>(cost[i]));
      table += cellText;
    }
    CHORUS_TRACE(kTune, "tuner plugin '%s' table for %s:%s", plugin.name().c_str(), shape.c_str(),
                 table.c_str());
  }
  // An untouched table keeps the model's pick exactly (the float table could tie where the
  // model's doubles did not).
  if (std::memcmp(before.data(), cost.data(), cost.size() * sizeof(float)) == 0) {
    choice->plugin = plugin.name();
    return;
  }
  std::vector<size_t> order;
  for (size_t i = 0; i < cost.size(); ++i)
    if (std::isfinite(cost[i]) && cost[i] >= 0) order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return cost[x] < cost[y]; });
  if (order.empty()) {
    CHORUS_WARN(kTune, "tuner plugin '%s' disabled every candidate for %s; using the model's choice (%s)",
                plugin.name().c_str(), shape.c_str(), Describe(*choice).c_str());
    return;
  }
  for (size_t i : order) {
    const sched::Algorithm* algo = algos[i / nc];
    const int channels = channel_options[i % nc];
    Choice pick;
    if (cell[i] != nullptr) {
      pick = *cell[i];
    } else {
      sched::CollArgs a = base;
      a.channels = channels;
      a.chunk_bytes = 0;
      SimResult sim;
      Status es = algo->applies(a) ? EstimateAlgorithm(*algo, a, model, &sim)
                                   : InvalidUsage("it cannot run with that many channels");
      if (!es.ok()) {
        CHORUS_WARN(kTune, "tuner plugin '%s' picked %s with %d channel(s) for %s: %s; trying its next pick",
                    plugin.name().c_str(), algo->name, channels, shape.c_str(), es.message().c_str());
        continue;
      }
      pick.algorithm = algo;
      pick.args = a;
      pick.est_seconds = sim.seconds;
    }
    pick.plugin = plugin.name();
    if (pick.algorithm != choice->algorithm || pick.args.channels != choice->args.channels) {
      CHORUS_INFO(kTune, "tuner plugin '%s': %s -> %s instead of the model's %s", plugin.name().c_str(),
                  shape.c_str(), Describe(pick).c_str(), Describe(*choice).c_str());
    }
    *choice = pick;
    return;
  }
  CHORUS_WARN(kTune, "none of tuner plugin '%s''s picks can run %s; using the model's choice (%s)",
              plugin.name().c_str(), shape.c_str(), Describe(*choice).c_str());
}

}  // namespace chorus::tune
