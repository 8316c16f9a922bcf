#include "tune/link_model.h"

namespace chorus::tune {

LinkModel DefaultHostModel() {
  // Fitted to chorus-bench runs of the shm transport on an idle 16-core x86 host (2, 4 and 8
  // ranks; ring all-reduce and all-gather, chain broadcast, pairwise all-to-all; scalar
  // reductions): see docs/algorithms.md, "Calibration".
  LinkModel m;
  m.name = "host-shm";
  m.link = [](Rank, Rank) { return LinkCost{1.0e-6, 1.0 / 4.5e9}; };
  m.domain = [](Rank) { return 0; };
  m.domain_beta_s_per_byte = 1.0 / 36e9;
  m.endpoint_beta_s_per_byte = 1.0 / 9e9;
  m.gamma_s_per_byte = 1.0 / 2.5e9;
  m.copy_s_per_byte = 1.0 / 8e9;
  m.step_s = 40e-9;
  m.pipeline_bytes = 256 * 1024;
  m.switch_alpha_s = 2e-6;
  m.switch_beta_s_per_byte = 1.0 / 4.5e9;
  return m;
}

}  // namespace chorus::tune
