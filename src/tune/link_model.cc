#include "tune/link_model.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <string>

#include "core/env.h"
#include "core/log.h"

namespace chorus::tune {

namespace {
// A sysfs cache size ("32768K", "1M", "512") in bytes.
uint64_t SysfsSizeBytes(const std::string& size) {
  char* end = nullptr;
  uint64_t bytes = std::strtoull(size.c_str(), &end, 10);
  if (end != nullptr && (*end == 'K' || *end == 'k')) bytes <<= 10;
  else if (end != nullptr && (*end == 'M' || *end == 'm')) bytes <<= 20;
  return bytes;
}

// The size of cpu0's level-`level` data or unified cache (0: none described). `private_only`:
// only if no other core shares it (its CPUs are cpu0's hardware threads): on some machines L2
// belongs to a cluster of cores.
uint64_t ReadCacheBytes(int level, bool private_only) {
  std::string siblings;
  std::ifstream("/sys/devices/system/cpu/cpu0/topology/thread_siblings_list") >> siblings;
  for (int i = 0; i < 8; ++i) {
    const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/";
    std::ifstream level_file(dir + "level"), size_file(dir + "size"), type_file(dir + "type");
    int l = 0;
    std::string size, type;
    if (!(level_file >> l) || l != level || !(size_file >> size) || !(type_file >> type) || type == "Instruction") continue;
    if (private_only) {
      std::string shared;
      std::ifstream(dir + "shared_cpu_list") >> shared;
      if (shared.empty() || (shared != siblings && shared != "0")) return 0;
    }
    return SysfsSizeBytes(size);
  }
  return 0;
}

uint64_t ReadLastLevelCacheBytes() {
  // sysfs describes the cache one core shares (32 MiB on an EPYC CCD); glibc's
  // _SC_LEVEL3_CACHE_SIZE may report the whole package's (384 MiB there), which no rank gets.
  uint64_t best = 0;
  int best_level = 0;
  for (int i = 0; i < 8; ++i) {
    const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/";
    std::ifstream level_file(dir + "level"), size_file(dir + "size");
    int level = 0;
    std::string size;
    if (!(level_file >> level) || !(size_file >> size) || size.empty()) continue;
    const uint64_t bytes = SysfsSizeBytes(size);
    if (level > best_level || (level == best_level && bytes > best)) {
      best_level = level;
      best = bytes;
    }
  }
  if (best > 0) return best;
  const long llc = sysconf(_SC_LEVEL3_CACHE_SIZE);
  return llc > 0 ? static_cast<uint64_t>(llc) : 0;
}
}  // namespace

uint64_t PrivateCacheBytes() {
  // Not when L2 is the last level (no L3): then it is the shared cache the LLC term prices.
  static const uint64_t bytes = ReadCacheBytes(3, false) > 0 ? ReadCacheBytes(2, true) : 0;
  return bytes;
}

uint64_t LastLevelCacheBytes() {
  // Every host model of every communicator asks: read sysfs once per process.
  static const uint64_t bytes = ReadLastLevelCacheBytes();
  return bytes;
}

Status ApplyHostModelOverrides(LinkModel* m, const std::string& spec) {
  double alpha_s = m->link ? m->link(0, 1).alpha_s : 0;
  double link_beta = m->link ? m->link(0, 1).beta_s_per_byte : 0;
  bool link_changed = false;
  std::string bad;
  size_t pos = 0;
  while (pos < spec.size()) {
    size_t end = spec.find(',', pos);
    if (end == std::string::npos) end = spec.size();
    const std::string item = spec.substr(pos, end - pos);
    pos = end + 1;
    const size_t eq = item.find('=');
    char* rest = nullptr;
    const double v = eq == std::string::npos ? 0 : std::strtod(item.c_str() + eq + 1, &rest);
    if (eq == std::string::npos || rest == nullptr || *rest != '\0' || !(v > 0) || !std::isfinite(v)) {
      bad += (bad.empty() ? "'" : ", '") + item + "' (not key=positive number)";
      continue;
    }
    const std::string key = item.substr(0, eq);
    if (key == "alpha_us") alpha_s = v * 1e-6, link_changed = true;
    else if (key == "link_gbps") link_beta = 1.0 / (v * 1e9), link_changed = true;
    else if (key == "latency_us") m->latency_s = v * 1e-6;
    else if (key == "core_wait_share") m->core_wait_share = v;
    else if (key == "endpoint_gbps") m->endpoint_beta_s_per_byte = 1.0 / (v * 1e9);
    else if (key == "domain_gbps") m->domain_beta_s_per_byte = 1.0 / (v * 1e9);
    else if (key == "reduce_gbps") m->gamma_s_per_byte = 1.0 / (v * 1e9);
    else if (key == "copy_gbps") m->copy_s_per_byte = 1.0 / (v * 1e9);
    else if (key == "cache_mib") m->cache_bytes = v * 1024 * 1024;
    else if (key == "cache_speedup") m->cache_speedup = v;
    else if (key == "cache_share" && v <= 1) m->cache_usable_share = v;
    else if (key == "cache_share") bad += (bad.empty() ? "'" : ", '") + item + "' (a share of the cache: at most 1)";
    else if (key == "reduce_cache_share") m->reduce_cache_share = v;
    else if (key == "forward_speedup") m->forward_cache_speedup = v;
    else if (key == "read_gbps") m->memory_read_s_per_byte = 1.0 / (v * 1e9);
    else if (key == "l2_kib") m->private_cache_bytes = v * 1024;
    else if (key == "l2_speedup") m->private_cache_speedup = v;
    else if (key == "stream_speedup") m->stream_speedup = v;
    else if (key == "pipeline_kib") m->pipeline_bytes = v * 1024;
    else bad += (bad.empty() ? "'" : ", '") + key + "' (unknown key)";
  }
  if (link_changed) m->link = [alpha_s, link_beta](Rank, Rank) { return LinkCost{alpha_s, link_beta}; };
  m->name += "/calibrated";
  if (!bad.empty()) return InvalidArgument("CHORUS_HOST_MODEL: ignored " + bad);
  return Status::Ok();
}

LinkModel DefaultHostModel() {
  // Fitted to chorus-bench runs of the shm transport on an idle 16-core x86 host (2, 4 and 8
  // ranks; ring all-reduce and all-gather, chain broadcast, pairwise all-to-all), then the
  // reduction, cache and memory terms refitted on the 2-core build VM with the vector kernels:
  // see docs/algorithms.md, "Calibration" and "Memory traffic beyond the cache".
  LinkModel m;
  m.name = "host-shm";
  double alpha_s = 1.0e-6, link_beta = 1.0 / 4.5e9;
  m.domain = [](Rank) { return 0; };
  m.domain_beta_s_per_byte = 1.0 / 36e9;
  m.endpoint_beta_s_per_byte = 1.0 / 9e9;
  // The vector reduction kernels run at ~0.9x memcpy beyond the caches (chorus-micro-reduce,
  // 64 MiB float32 sum: 18.0 against 19.8 GB/s), ~0.65x within them (33 against 52 GB/s at 1 MiB).
  m.gamma_s_per_byte = 1.0 / 7.2e9;
  m.copy_s_per_byte = 1.0 / 8e9;
  m.reduce_cache_share = 0.5;
  // Beyond the cache: a reduction's own operand fresh from memory costs a read on top; forwarded
  // bytes are cached only on the sender's side (docs/algorithms.md, "Memory traffic beyond the
  // cache").
  m.memory_read_s_per_byte = 1.0 / 8e9;
  m.forward_cache_speedup = 1.3;
  // The shared cache this process sees; a communicator agrees on the smallest any rank sees.
  m.cache_bytes = static_cast<double>(LastLevelCacheBytes());
  m.cache_speedup = 3;
  // Fitted (docs/algorithms.md, session 5): with the whole 32 MiB L3 of the build VM, 4 ranks at
  // 4 MiB (a 32 MiB working set) were priced in cache and picked the ring, 1.11x slower than
  // two-shot in the median of three tables. With 3/4 of it: 13 of 13 there; of the six older
  // tables three gain a size, one loses one, on 4 ranks; 2 ranks unchanged.
  m.cache_usable_share = 0.75;
  // A core's own L2 (1 MiB here): 16 KiB all-reduces run ~5x memory speed (docs/algorithms.md).
  m.private_cache_bytes = static_cast<double>(PrivateCacheBytes());
  m.private_cache_speedup = 5;
  // Streaming against ordinary stores for a copy beyond the cache, measured on the build VM
  // (one core: 1.2-1.4x; docs/algorithms.md, "Calibration").
  m.stream_speedup = 1.3;
  // The shm transport's slot: the engine reduces and forwards slot by slot.
  m.pipeline_bytes = 64 * 1024;
  m.switch_alpha_s = 2e-6;
  m.switch_beta_s_per_byte = 1.0 / 4.5e9;
  m.link = [alpha_s, link_beta](Rank, Rank) { return LinkCost{alpha_s, link_beta}; };
  return m;
}

// LinkModel::core_wait_share per extra rank per core (docs/algorithms.md, session 8).
constexpr double kCoreWaitShare = 0.1;

void ForSharedCores(LinkModel* m, double ranks_per_core) {
  if (!(ranks_per_core > 1)) return;
  // Fitted on 4 ranks over 2 cores (docs/algorithms.md, "Calibration"): at 16 KiB recursive
  // doubling's second round costs ~5 us over one-shot's single one, the ring's six rounds ~10 us
  // over two-shot's two.
  if (!(m->latency_s > 0)) m->latency_s = 4e-6 * (ranks_per_core - 1);  // else CHORUS_HOST_MODEL's
  m->ranks_per_core = ranks_per_core;
  m->store_and_forward = true;
  if (!(m->core_wait_share > 0)) m->core_wait_share = kCoreWaitShare * (ranks_per_core - 1);
  m->name += "/shared-cores";
}

LinkModel ForWorkingSet(const LinkModel& m, double working_set, int nranks) {
  const double per_core = nranks > 0 ? working_set / nranks * std::max(1.0, m.ranks_per_core) : working_set;
  const bool in_private = nranks > 0 && m.private_cache_bytes > 0 && m.private_cache_speedup > 1 &&
                          per_core <= m.private_cache_bytes;
  if (!in_private && (!(m.cache_bytes > 0) || !(m.cache_speedup > 1))) return m;
  if (!in_private && working_set > m.cache_bytes * m.cache_usable_share) {
    LinkModel c = m;
    c.forward_speedup = m.ranks_per_core > 1 ? 1 : m.forward_cache_speedup > 0 ? m.forward_cache_speedup : m.cache_speedup;
    c.cold_read_s_per_byte = m.memory_read_s_per_byte;
    return c;
  }
  LinkModel c = m;
  c.stream_speedup = 1;
  const double k = in_private ? m.private_cache_speedup : m.cache_speedup;
  auto link = m.link;
  c.link = [link, k](Rank a, Rank b) {
    LinkCost l = link(a, b);
    l.beta_s_per_byte /= k;
    return l;
  };
  c.domain_beta_s_per_byte /= k;
  c.endpoint_beta_s_per_byte /= k;
  c.gamma_s_per_byte /= std::max(1.0, k * m.reduce_cache_share);
  c.copy_s_per_byte /= k;
  for (double& b : c.shared_beta_s_per_byte) b /= k;
  return c;
}

}  // namespace chorus::tune
