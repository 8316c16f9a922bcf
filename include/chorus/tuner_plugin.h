/*
 * Chorus tuner plugin ABI (version 1).
 *
 * A tuner plugin is a shared library that re-ranks the candidates Chorus's cost model priced for
 * a collective call: it receives a table of estimated seconds per (algorithm, channel count) and
 * may change any entry; Chorus then runs the cheapest remaining candidate. Chorus loads it from
 * the path in CHORUS_TUNER_PLUGIN (docs/plugins.md has the rules).
 *
 * Versioning: each version of the ABI has its own struct type and its own exported symbol
 * (chorusTunerPlugin_v1, chorusTunerPlugin_v2, ...). A version, once released, never changes.
 * A plugin may export several versions; the loader looks up the newest version it knows first
 * and falls back to older ones, so a plugin keeps working with older and newer Chorus builds as
 * long as the two share one version.
 *
 * C99-clean; no C++ types. Collective, reduction op and result values are the fixed values below
 * and in chorus.h.
 */
#ifndef CHORUS_TUNER_PLUGIN_H_
#define CHORUS_TUNER_PLUGIN_H_

#include <stddef.h>

#include "chorus/chorus.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The collectives, with fixed values. */
typedef enum {
  chorusCollAllReduce = 0,
  chorusCollAllGather = 1,
  chorusCollReduceScatter = 2,
  chorusCollAllToAll = 3,
  chorusCollBroadcast = 4,
  chorusCollReduce = 5,
  chorusCollSendRecv = 6,
  chorusCollBarrier = 7,
  chorusNumCollectives = 8
} chorusCollective_t;

typedef enum {
  chorusTunerLogWarn = 1,
  chorusTunerLogInfo = 2,
  chorusTunerLogTrace = 3
} chorusTunerLogLevel_t;

/* Writes one line to Chorus's log (subsystem TUNE, filtered by CHORUS_DEBUG like every other
 * line). message is copied; any thread may call it. */
typedef void (*chorusTunerLogFn_v1_t)(chorusTunerLogLevel_t level, const char* message);

#define CHORUS_TUNER_PLUGIN_VERSION 1
/* The name of the object a version-1 plugin exports: a chorusTunerPlugin_v1_t, e.g.
 *   CHORUS_TUNER_PLUGIN_EXPORT const chorusTunerPlugin_v1_t chorusTunerPlugin_v1 = {...}; */
#define CHORUS_TUNER_PLUGIN_SYMBOL "chorusTunerPlugin_v1"
/* Keeps that object visible when the plugin is built with hidden visibility. */
#define CHORUS_TUNER_PLUGIN_EXPORT CHORUS_API

typedef struct {
  /* For logs; never NULL. */
  const char* name;

  /* Called once per communicator, when it is created. On success *context is handed to every
   * other call for that communicator (several communicators in one process each get their own).
   * Anything but chorusSuccess makes Chorus warn and use its cost model alone. */
  chorusResult_t (*init)(chorusTunerLogFn_v1_t logFn, void** context);

  /* Called once per distinct call shape (collective, size, element size, op, ranks) per
   * communicator; Chorus caches the decision. Calls into one context never overlap.
   *
   *   collective    a chorusCollective_t
   *   bytes         the larger of the call's input and output buffer on one rank (the full
   *                 output of an all-gather, the full input of a reduce-scatter)
   *   elemSize      bytes per element
   *   op            a chorusRedOp_t (meaningful for reducing collectives only)
   *   nranks        ranks in the communicator
   *   ranksPerNode  ranks per host (consecutive ranks share a host); 0 when not known
   *   algoNames     numAlgos algorithms that can run this call, in Chorus's registration order
   *                 (names as CHORUS_ALGO spells them: "ring", "recursive_doubling", ...)
   *   channelOptions numChannelOptions channel counts Chorus may use, ascending (1, 2, 4, ...)
   *   costTable     numAlgos * numChannelOptions entries, row a for algoNames[a], column c for
   *                 channelOptions[c]: costTable[a * numChannelOptions + c].
   *                 In: the model's estimate in seconds, or INFINITY where the model did not
   *                 price that pair (it judged it not worth it, e.g. channels too small to pay).
   *                 Out: the plugin's costs. INFINITY, a negative value or NaN disables an
   *                 entry. Chorus runs the entry with the lowest remaining cost (ties: the first
   *                 in table order). An entry the model left at INFINITY may be made finite: Chorus
   *                 then prices and runs it if that algorithm can run with that many channels.
   *
   * Must be deterministic: every rank of a communicator calls it with the same arguments and must
   * reach the same answer, or the ranks run different schedules and the collective fails.
   * Anything but chorusSuccess makes Chorus warn and use the model's choice for this call shape;
   * so does a table with every entry disabled. */
  chorusResult_t (*getCollInfo)(void* context, int collective, size_t bytes, size_t elemSize,
                                int op, int nranks, int ranksPerNode, int numAlgos,
                                const char* const* algoNames, int numChannelOptions,
                                const int* channelOptions, float* costTable);

  /* Called once per successful init, when the communicator is destroyed. */
  chorusResult_t (*destroy)(void* context);
} chorusTunerPlugin_v1_t;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CHORUS_TUNER_PLUGIN_H_ */
