#include "tune/tuner.h"

#include <cstdio>
#include <vector>

#include "algorithms/verifier.h"
#include "core/env.h"
#include "core/log.h"
#include "tune/plugin.h"
#include "tune/simulator.h"

namespace chorus::tune {
namespace {

// Candidates beyond the algorithm: channels and chunk sizes worth trying for a call of `bytes`.
constexpr int kChannelChoices[] = {1, 2, 4};
constexpr Bytes kChunkChoices[] = {0, 256 << 10};
// Channels below this many bytes each only add latency.
constexpr double kMinBytesPerChannel = 64 << 10;
// Schedules with more steps than this are not simulated (at thousands of ranks the all-pairs
// algorithms have millions of steps); the remaining candidates decide.
constexpr size_t kMaxSimulatedSteps = 200000;

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::string Describe(const Choice& c) {
  char buf[160];
  std::snprintf(buf, sizeof(buf), "%s, %d channel%s, chunk %s", c.algorithm->name,
                c.args.channels, c.args.channels == 1 ? "" : "s",
                c.args.chunk_bytes ? FormatBytes(static_cast<double>(c.args.chunk_bytes)).c_str()
                                   : "default");
  return buf;
}

std::string FormatSeconds(double s) {
  char buf[32];
  if (s >= 1) std::snprintf(buf, sizeof(buf), "%.2f s", s);
  else if (s >= 1e-3) std::snprintf(buf, sizeof(buf), "%.1f ms", s * 1e3);
  else std::snprintf(buf, sizeof(buf), "%.1f us", s * 1e6);
  return buf;
}

}  // namespace

std::string FormatBytes(double bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  char buf[32];
  if (bytes == static_cast<double>(static_cast<long long>(bytes))) {
    std::snprintf(buf, sizeof(buf), "%lld%s", static_cast<long long>(bytes), kUnits[u]);
  } else {
    std::snprintf(buf, sizeof(buf), "%.1f%s", bytes, kUnits[u]);
  }
  return buf;
}

const std::string& AlgoOverride::For(Collective c) const {
  auto it = per_collective.find(c);
  return it != per_collective.end() ? it->second : all;
}

Status ParseAlgoOverride(const std::string& text, AlgoOverride* out) {
  *out = AlgoOverride();
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    std::string item = Trim(text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
    pos = comma == std::string::npos ? text.size() + 1 : comma + 1;
    if (item.empty()) continue;
    size_t eq = item.find('=');
    std::string name = Trim(eq == std::string::npos ? item : item.substr(eq + 1));
    if (sched::FindAlgorithm(name) == nullptr) {
      std::string known;
      for (const auto& a : sched::Algorithms()) known += std::string(known.empty() ? "" : ", ") + a.name;
      return InvalidArgument("CHORUS_ALGO: unknown algorithm '" + name + "' (known: " + known + ")");
    }
    if (eq == std::string::npos) {
      out->all = name;
      continue;
    }
    std::string coll = Trim(item.substr(0, eq));
    Collective c;
    if (!ParseCollective(coll.c_str(), &c))
      return InvalidArgument("CHORUS_ALGO: unknown collective '" + coll + "' in '" + item + "'");
    out->per_collective[c] = name;
  }
  return Status::Ok();
}

Status Choose(const sched::CollArgs& call, const LinkModel& full_model, const AlgoOverride& force,
              Choice* out, const TunerPlugin* plugin) {
  // Every rank's input and output: a call whose bytes stay in the shared cache moves them faster.
  const double working_set = static_cast<double>(call.nranks) *
                             static_cast<double>(sched::InputElems(call) + sched::OutputElems(call)) *
                             static_cast<double>(call.elem_size);
  LinkModel model = ForWorkingSet(full_model, working_set, call.nranks);
  const double output_bytes = static_cast<double>(sched::OutputElems(call)) * static_cast<double>(call.elem_size);
  if (!(model.stream_min_output_bytes > 0) || output_bytes < model.stream_min_output_bytes) model.stream_speedup = 1;
  // Whether a call is in place is decided per rank (by its pointers) and changes only local
  // copies, never the messages: price every call out of place so that all ranks choose alike.
  sched::CollArgs base = call;
  base.in_place = false;
  const std::string& forced = force.For(base.coll);
  std::vector<const sched::Algorithm*> algos;
  if (!forced.empty()) {
    const sched::Algorithm* a = sched::FindAlgorithm(forced);
    if (a == nullptr) return InvalidArgument("CHORUS_ALGO: unknown algorithm '" + forced + "'");
    if (!a->applies(base)) {
      return InvalidUsage("CHORUS_ALGO forces '" + forced + "' for " + Name(base.coll) +
                          ", which it cannot run here (nranks=" + std::to_string(base.nranks) +
                          "); force it per collective (e.g. CHORUS_ALGO=" + Name(base.coll) +
                          "=<algorithm>) or unset CHORUS_ALGO");
    }
    algos.push_back(a);
  } else {
    algos = sched::ApplicableAlgorithms(base);
    if (algos.empty())
      return InvalidUsage(std::string("tune: no algorithm implements ") + Name(base.coll) +
                          " for nranks=" + std::to_string(base.nranks));
  }
  const double bytes = static_cast<double>(std::max(sched::InputElems(base), sched::OutputElems(base))) *
                       static_cast<double>(base.elem_size);
  // Best candidate per algorithm, in registration order.
  std::vector<Choice> best;
  // With a plugin: the cheapest chunk size per (algorithm, channels), for its cost table.
  if (!forced.empty()) plugin = nullptr;
  std::vector<Choice> priced;
  Status last_error;
  for (const sched::Algorithm* algo : algos) {
    Choice mine;
    for (int channels : kChannelChoices) {
      if (channels > std::max(1, call.channels)) continue;
      if (channels > 1 && bytes / channels < kMinBytesPerChannel) continue;
      for (Bytes chunk : kChunkChoices) {
        if (chunk > 0 && static_cast<double>(chunk) * 2 > bytes / channels) continue;
        sched::CollArgs a = base;
        a.channels = channels;
        a.chunk_bytes = chunk;
        if (!algo->applies(a)) continue;
        std::vector<sched::RankProgram> programs(static_cast<size_t>(a.nranks));
        size_t steps = 0;
        Status st;
        for (Rank r = 0; r < a.nranks && st.ok(); ++r) {
          st = algo->generate(sched::ArgsForRank(a, r), r, &programs[r]);
          if (st.ok()) sched::MarkUnreadResults(sched::ArgsForRank(a, r), &programs[r]);
          for (const auto& ch : programs[r].channels) steps += ch.steps.size();
          if (steps > kMaxSimulatedSteps) break;
        }
        if (!st.ok()) {
          last_error = st;
          continue;
        }
        if (steps > kMaxSimulatedSteps) {
          CHORUS_TRACE(kTune, "%s: %s with %d channel(s) has over %zu steps; not priced",
                       Name(a.coll), algo->name, channels, kMaxSimulatedSteps);
          continue;
        }
        SimResult sim;
        st = Simulate(a, programs, model, &sim);
        if (!st.ok()) {
          last_error = st;
          continue;
        }
        if (mine.algorithm == nullptr || sim.seconds < mine.est_seconds) {
          mine.algorithm = algo;
          mine.args = a;
          mine.est_seconds = sim.seconds;
        }
        if (plugin != nullptr) {
          if (priced.empty() || priced.back().algorithm != algo || priced.back().args.channels != channels)
            priced.emplace_back();
          Choice& cell = priced.back();
          if (cell.algorithm == nullptr || sim.seconds < cell.est_seconds) {
            cell.algorithm = algo;
            cell.args = a;
            cell.est_seconds = sim.seconds;
          }
        }
      }
    }
    if (mine.algorithm != nullptr) best.push_back(mine);
  }
  if (best.empty()) {
    return last_error.ok() ? InvalidUsage(std::string("tune: no candidate for ") + Name(base.coll))
                           : last_error;
  }
  size_t win = 0;
  for (size_t i = 1; i < best.size(); ++i)
    if (best[i].est_seconds < best[win].est_seconds) win = i;
  *out = best[win];
  if (plugin != nullptr) {
    std::vector<int> channel_options;
    for (int channels : kChannelChoices)
      if (channels <= std::max(1, call.channels)) channel_options.push_back(channels);
    ApplyTunerPlugin(*plugin, base, bytes, model, algos, channel_options, priced, out);
  }
  out->args.in_place = call.in_place;
  out->forced = !forced.empty();
  out->runner_up.clear();
  out->runner_up_seconds = 0;
  for (size_t i = 0; i < best.size(); ++i) {
    if (best[i].algorithm == out->algorithm) continue;
    if (out->runner_up.empty() || best[i].est_seconds < out->runner_up_seconds) {
      out->runner_up = best[i].algorithm->name;
      out->runner_up_seconds = best[i].est_seconds;
    }
  }
  if (LogEnabled(LogLevel::kInfo, LogSubsys::kTune)) {
    std::string alt = out->runner_up.empty()
                          ? (out->forced ? std::string(" (forced by CHORUS_ALGO)") : std::string())
                          : " (" + out->runner_up + " " + FormatSeconds(out->runner_up_seconds) + ")";
    if (!out->plugin.empty()) alt += " [tuner plugin '" + out->plugin + "']";
    CHORUS_INFO(kTune, "%s %s x%d ranks -> %s, est %s%s", Name(base.coll),
                FormatBytes(bytes).c_str(), base.nranks, Describe(*out).c_str(),
                FormatSeconds(out->est_seconds).c_str(), alt.c_str());
  }
  return Status::Ok();
}

Tuner::Tuner(LinkModel model) : model_(std::move(model)) {
  force_status_ = ParseAlgoOverride(EnvString("CHORUS_ALGO"), &force_);
  plugin_ = TunerPlugin::FromEnv();
}

Tuner::Tuner(LinkModel model, std::unique_ptr<TunerPlugin> plugin)
    : model_(std::move(model)), plugin_(std::move(plugin)) {
  force_status_ = ParseAlgoOverride(EnvString("CHORUS_ALGO"), &force_);
}

Tuner::~Tuner() = default;

Status Tuner::Choose(const sched::CollArgs& base, Choice* out) {
  CHORUS_RETURN_IF_ERROR(force_status_);
  Key key{static_cast<int>(base.coll), base.count, base.elem_size, base.nranks, base.root,
          static_cast<int>(base.op), base.ranks_per_node, base.has_reducing_switch, base.channels};
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      *out = it->second;
      out->args.in_place = base.in_place;
      out->args.has_output = base.has_output;
      return Status::Ok();
    }
  }
  Choice c;
  CHORUS_RETURN_IF_ERROR(tune::Choose(base, model_, force_, &c, plugin_.get()));
  std::lock_guard<std::mutex> lock(mu_);
  cache_.emplace(key, c);
  *out = c;
  return Status::Ok();
}

}  // namespace chorus::tune
