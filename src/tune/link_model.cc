#include "tune/link_model.h"

namespace chorus::tune {

LinkModel DefaultHostModel() {
  LinkModel m;
  m.name = "host-shm";
  m.link = [](Rank, Rank) { return LinkCost{1.5e-6, 1.0 / 8e9}; };
  m.domain = [](Rank) { return 0; };
  // Each message is copied twice through memory (into the slot, out of it): 36 GB/s of copy
  // traffic at ~18 GB/s aggregate memcpy bandwidth is 2 bytes moved per byte sent.
  m.domain_beta_s_per_byte = 2.0 / 18e9;
  m.gamma_s_per_byte = 1.0 / 6e9;
  m.copy_s_per_byte = 1.0 / 16e9;
  m.pipeline_bytes = 256 * 1024;
  m.switch_alpha_s = 2e-6;
  m.switch_beta_s_per_byte = 1.0 / 8e9;
  return m;
}

}  // namespace chorus::tune
