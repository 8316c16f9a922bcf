/* chorus.h must compile as strict C99 with every warning on. */
#include "chorus/chorus.h"

int chorus_c99_header_check(void) {
  chorusConfig_t config = CHORUS_CONFIG_INITIALIZER;
  chorusUniqueId id;
  (void)id;
  return (int)config.size + (int)chorusNumTypes + (int)chorusNumOps;
}
