#include "tune/link_model.h"

#include <unistd.h>

#include <cstdlib>
#include <string>

#include "core/env.h"
#include "core/log.h"

namespace chorus::tune {

namespace {

// CHORUS_HOST_MODEL="alpha_us=0.2,link_gbps=12,...": recalibrates the host model for a machine
// unlike the one it was fitted on (docs/algorithms.md, "Calibration"). Unknown keys and bad numbers
// are reported and ignored.
void ApplyOverrides(LinkModel* m, double* alpha_s, double* link_beta) {
  const std::string spec = EnvString("CHORUS_HOST_MODEL");
  size_t pos = 0;
  while (pos < spec.size()) {
    size_t end = spec.find(',', pos);
    if (end == std::string::npos) end = spec.size();
    const std::string item = spec.substr(pos, end - pos);
    pos = end + 1;
    const size_t eq = item.find('=');
    char* rest = nullptr;
    const double v = eq == std::string::npos ? 0 : std::strtod(item.c_str() + eq + 1, &rest);
    if (eq == std::string::npos || rest == nullptr || *rest != '\0' || !(v > 0)) {
      CHORUS_WARN(kTune, "CHORUS_HOST_MODEL: '%s' is not key=positive number; ignored", item.c_str());
      continue;
    }
    const std::string key = item.substr(0, eq);
    if (key == "alpha_us") *alpha_s = v * 1e-6;
    else if (key == "cache_mib") m->cache_bytes = v * 1024 * 1024;
    else if (key == "cache_speedup") m->cache_speedup = v;
    else if (key == "link_gbps") *link_beta = 1.0 / (v * 1e9);
    else if (key == "endpoint_gbps") m->endpoint_beta_s_per_byte = 1.0 / (v * 1e9);
    else if (key == "domain_gbps") m->domain_beta_s_per_byte = 1.0 / (v * 1e9);
    else if (key == "reduce_gbps") m->gamma_s_per_byte = 1.0 / (v * 1e9);
    else if (key == "copy_gbps") m->copy_s_per_byte = 1.0 / (v * 1e9);
    else if (key == "pipeline_kib") m->pipeline_bytes = v * 1024;
    else CHORUS_WARN(kTune, "CHORUS_HOST_MODEL: unknown key '%s'; ignored", key.c_str());
  }
}

}  // namespace

LinkModel DefaultHostModel() {
  // Fitted to chorus-bench runs of the shm transport on an idle 16-core x86 host (2, 4 and 8
  // ranks; ring all-reduce and all-gather, chain broadcast, pairwise all-to-all; scalar
  // reductions): see docs/algorithms.md, "Calibration".
  LinkModel m;
  m.name = "host-shm";
  double alpha_s = 1.0e-6, link_beta = 1.0 / 4.5e9;
  m.domain = [](Rank) { return 0; };
  m.domain_beta_s_per_byte = 1.0 / 36e9;
  m.endpoint_beta_s_per_byte = 1.0 / 9e9;
  m.gamma_s_per_byte = 1.0 / 2.5e9;
  m.copy_s_per_byte = 1.0 / 8e9;
  // The shared cache this process sees (glibc reports it per host, the same on every rank).
  const long llc = sysconf(_SC_LEVEL3_CACHE_SIZE);
  m.cache_bytes = llc > 0 ? static_cast<double>(llc) : 0;
  m.cache_speedup = 3;
  m.pipeline_bytes = 256 * 1024;
  m.switch_alpha_s = 2e-6;
  m.switch_beta_s_per_byte = 1.0 / 4.5e9;
  ApplyOverrides(&m, &alpha_s, &link_beta);
  m.link = [alpha_s, link_beta](Rank, Rank) { return LinkCost{alpha_s, link_beta}; };
  return m;
}

LinkModel ForWorkingSet(const LinkModel& m, double working_set) {
  if (!(m.cache_bytes > 0) || working_set > m.cache_bytes || !(m.cache_speedup > 1)) return m;
  LinkModel c = m;
  const double k = m.cache_speedup;
  auto link = m.link;
  c.link = [link, k](Rank a, Rank b) {
    LinkCost l = link(a, b);
    l.beta_s_per_byte /= k;
    return l;
  };
  c.domain_beta_s_per_byte /= k;
  c.endpoint_beta_s_per_byte /= k;
  c.gamma_s_per_byte /= k;
  c.copy_s_per_byte /= k;
  for (double& b : c.shared_beta_s_per_byte) b /= k;
  return c;
}

}  // namespace chorus::tune
