/*
 * Tuner plugins for tests/unit/tuner_plugin_test.cc, one per FIXTURE_* definition:
 *   FIXTURE_NO_SYMBOL      exports no chorusTunerPlugin_v1
 *   FIXTURE_NULL_POINTERS  exports one whose getCollInfo and destroy are NULL
 *   FIXTURE_FAILING_CALL   getCollInfo returns chorusInternalError
 *   FIXTURE_DISABLE_ALL    getCollInfo disables every entry (negative, NaN and INFINITY)
 *   FIXTURE_RECORDER       leaves the table alone and records its calls, for the test to read
 *                          through chorusTunerFixtureRecord()
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "chorus/tuner_plugin.h"

#if !defined(FIXTURE_NO_SYMBOL)
static chorusResult_t FixtureInit(chorusTunerLogFn_v1_t logFn, void** context) {
  static int token;
  (void)logFn;
  *context = &token;
  return chorusSuccess;
}

#endif

#if !defined(FIXTURE_NO_SYMBOL) && !defined(FIXTURE_NULL_POINTERS)
static chorusResult_t FixtureDestroy(void* context) {
  (void)context;
  return chorusSuccess;
}
#endif

#if defined(FIXTURE_NO_SYMBOL)

CHORUS_TUNER_PLUGIN_EXPORT int chorusTunerPlugin_v0 = 0; /* a name the loader must not accept */

#elif defined(FIXTURE_NULL_POINTERS)

CHORUS_TUNER_PLUGIN_EXPORT const chorusTunerPlugin_v1_t chorusTunerPlugin_v1 = {"null-pointers", FixtureInit,
                                                                               NULL, NULL};

#elif defined(FIXTURE_FAILING_CALL) || defined(FIXTURE_DISABLE_ALL)

static chorusResult_t FixtureGetCollInfo(void* context, int collective, size_t bytes, size_t elemSize, int op,
                                         int nranks, int ranksPerNode, int numAlgos,
                                         const char* const* algoNames, int numChannelOptions,
                                         const int* channelOptions, float* costTable) {
  (void)context; (void)collective; (void)bytes; (void)elemSize; (void)op; (void)nranks;
  (void)ranksPerNode; (void)algoNames; (void)channelOptions;
#if defined(FIXTURE_FAILING_CALL)
  (void)numAlgos; (void)numChannelOptions; (void)costTable;
  return chorusInternalError;
#else
  int i;
  for (i = 0; i < numAlgos * numChannelOptions; ++i)
    costTable[i] = i % 3 == 0 ? -1.0f : i % 3 == 1 ? NAN : INFINITY;
  return chorusSuccess;
#endif
}

CHORUS_TUNER_PLUGIN_EXPORT const chorusTunerPlugin_v1_t chorusTunerPlugin_v1 = {
#if defined(FIXTURE_FAILING_CALL)
    "failing-call",
#else
    "disable-all",
#endif
    FixtureInit, FixtureGetCollInfo, FixtureDestroy};

#elif defined(FIXTURE_RECORDER)

static int g_inits, g_destroys, g_calls;
static char g_last[1024];

static chorusResult_t RecorderInit(chorusTunerLogFn_v1_t logFn, void** context) {
  ++g_inits;
  return FixtureInit(logFn, context);
}

static chorusResult_t RecorderDestroy(void* context) {
  ++g_destroys;
  return FixtureDestroy(context);
}

static chorusResult_t RecorderGetCollInfo(void* context, int collective, size_t bytes, size_t elemSize, int op,
                                          int nranks, int ranksPerNode, int numAlgos,
                                          const char* const* algoNames, int numChannelOptions,
                                          const int* channelOptions, float* costTable) {
  int i, finite = 0;
  size_t n;
  (void)context;
  ++g_calls;
  for (i = 0; i < numAlgos * numChannelOptions; ++i) finite += isfinite(costTable[i]) ? 1 : 0;
  n = (size_t)snprintf(g_last, sizeof(g_last), "coll=%d bytes=%lu elem=%lu op=%d nranks=%d rpn=%d finite=%d algos=",
                       collective, (unsigned long)bytes, (unsigned long)elemSize, op, nranks, ranksPerNode, finite);
  for (i = 0; i < numAlgos && n < sizeof(g_last); ++i)
    n += (size_t)snprintf(g_last + n, sizeof(g_last) - n, "%s%s", i ? "," : "", algoNames[i]);
  if (n < sizeof(g_last)) n += (size_t)snprintf(g_last + n, sizeof(g_last) - n, " channels=");
  for (i = 0; i < numChannelOptions && n < sizeof(g_last); ++i)
    n += (size_t)snprintf(g_last + n, sizeof(g_last) - n, "%s%d", i ? "," : "", channelOptions[i]);
  return chorusSuccess;
}

/* What happened so far; the last call's arguments as text. */
CHORUS_TUNER_PLUGIN_EXPORT const char* chorusTunerFixtureRecord(int* inits, int* destroys, int* calls) {
  *inits = g_inits;
  *destroys = g_destroys;
  *calls = g_calls;
  return g_last;
}

CHORUS_TUNER_PLUGIN_EXPORT const chorusTunerPlugin_v1_t chorusTunerPlugin_v1 = {
    "recorder", RecorderInit, RecorderGetCollInfo, RecorderDestroy};

#else
#error "define one FIXTURE_* kind"
#endif
