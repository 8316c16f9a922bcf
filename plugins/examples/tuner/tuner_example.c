/*
 * An example tuner plugin (ABI v1, include/chorus/tuner_plugin.h), in strict C99.
 *
 * It reads a table of rules from CHORUS_TUNER_EXAMPLE_TABLE when a communicator is created:
 *
 *   CHORUS_TUNER_EXAMPLE_TABLE="allreduce:0-64K:recursive_doubling,allreduce:64K-:ring@2"
 *
 * A rule is  collective ':' low '-' [high] ':' algorithm ['@' channels]  and matches calls of
 * that collective whose size in bytes (the plugin ABI's `bytes`) lies in [low, high); an empty
 * high is unbounded; sizes take a K, M or G suffix (binary). The first matching rule wins: it
 * disables every other algorithm (and, with '@channels', every other channel count), so Chorus
 * runs the named one. A rule whose algorithm cannot run the call, or whose channel count Chorus
 * does not offer, leaves the table alone, as do calls no rule matches and an empty table.
 * A malformed table fails init: Chorus then warns and ignores the plugin.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chorus/tuner_plugin.h"

#define MAX_RULES 64
#define MAX_ALGO_NAME 64

typedef struct {
  int collective;
  size_t low, high;
  int unbounded; /* no high */
  char algorithm[MAX_ALGO_NAME];
  int channels; /* 0: any */
} Rule;

typedef struct {
  chorusTunerLogFn_v1_t log;
  int nrules;
  Rule rules[MAX_RULES];
} Context;

static const char* const kCollectiveNames[chorusNumCollectives] = {
    "allreduce", "allgather", "reducescatter", "alltoall",
    "broadcast", "reduce",    "sendrecv",      "barrier"};

static void Say(chorusTunerLogFn_v1_t log, chorusTunerLogLevel_t level, const char* fmt, ...) {
  char line[512];
  va_list ap;
  if (log == NULL) return;
  va_start(ap, fmt);
  vsnprintf(line, sizeof(line), fmt, ap);
  va_end(ap);
  log(level, line);
}

/* [begin, end) with surrounding blanks removed. */
static void Trim(const char** begin, const char** end) {
  while (*begin < *end && isspace((unsigned char)**begin)) ++*begin;
  while (*end > *begin && isspace((unsigned char)(*end)[-1])) --*end;
}

static int SameWord(const char* begin, const char* end, const char* word) {
  size_t n = (size_t)(end - begin);
  return strlen(word) == n && strncmp(begin, word, n) == 0;
}

/* A size in bytes with an optional K, M or G suffix; 0 on success. */
static int ParseSize(const char* begin, const char* end, size_t* out) {
  size_t value = 0, scale = 1;
  Trim(&begin, &end);
  if (begin == end) return -1;
  if (end[-1] == 'K' || end[-1] == 'k') scale = (size_t)1 << 10;
  else if (end[-1] == 'M' || end[-1] == 'm') scale = (size_t)1 << 20;
  else if (end[-1] == 'G' || end[-1] == 'g') scale = (size_t)1 << 30;
  if (scale != 1) --end;
  if (begin == end) return -1;
  for (; begin < end; ++begin) {
    if (!isdigit((unsigned char)*begin)) return -1;
    if (value > ((size_t)-1 - 9) / 10) return -1;
    value = value * 10 + (size_t)(*begin - '0');
  }
  if (value > (size_t)-1 / scale) return -1;
  *out = value * scale;
  return 0;
}

/* Parses one rule [begin, end); returns NULL or what is wrong with it. */
static const char* ParseRule(const char* begin, const char* end, Rule* rule) {
  const char* colon1 = memchr(begin, ':', (size_t)(end - begin));
  const char *colon2, *dash, *at, *name, *name_end;
  int c;
  if (colon1 == NULL) return "expected collective:low-high:algorithm";
  colon2 = memchr(colon1 + 1, ':', (size_t)(end - colon1 - 1));
  if (colon2 == NULL) return "expected collective:low-high:algorithm";
  memset(rule, 0, sizeof(*rule));
  rule->collective = -1;
  {
    const char *b = begin, *e = colon1;
    Trim(&b, &e);
    for (c = 0; c < chorusNumCollectives; ++c)
      if (SameWord(b, e, kCollectiveNames[c])) rule->collective = c;
    if (rule->collective < 0) return "unknown collective";
  }
  dash = memchr(colon1 + 1, '-', (size_t)(colon2 - colon1 - 1));
  if (dash == NULL) return "expected a size range low-high";
  if (ParseSize(colon1 + 1, dash, &rule->low) != 0) return "bad low size";
  {
    const char *b = dash + 1, *e = colon2;
    Trim(&b, &e);
    if (b == e) {
      rule->unbounded = 1;
    } else {
      if (ParseSize(b, e, &rule->high) != 0) return "bad high size";
      if (rule->high <= rule->low) return "empty size range";
    }
  }
  name = colon2 + 1;
  name_end = end;
  at = memchr(name, '@', (size_t)(end - name));
  if (at != NULL) {
    size_t channels = 0;
    if (ParseSize(at + 1, end, &channels) != 0 || channels < 1 || channels > 1024)
      return "bad channel count after '@'";
    rule->channels = (int)channels;
    name_end = at;
  }
  Trim(&name, &name_end);
  if (name == name_end) return "empty algorithm name";
  if ((size_t)(name_end - name) >= MAX_ALGO_NAME) return "algorithm name too long";
  memcpy(rule->algorithm, name, (size_t)(name_end - name));
  rule->algorithm[name_end - name] = '\0';
  return NULL;
}

static chorusResult_t ParseTable(const char* text, Context* ctx) {
  const char* p = text;
  while (*p != '\0') {
    const char* comma = strchr(p, ',');
    const char* end = comma != NULL ? comma : p + strlen(p);
    const char *b = p, *e = end;
    Trim(&b, &e);
    if (b < e) {
      const char* why;
      if (ctx->nrules == MAX_RULES) {
        Say(ctx->log, chorusTunerLogWarn, "CHORUS_TUNER_EXAMPLE_TABLE: more than %d rules", MAX_RULES);
        return chorusInvalidArgument;
      }
      why = ParseRule(b, e, &ctx->rules[ctx->nrules]);
      if (why != NULL) {
        Say(ctx->log, chorusTunerLogWarn, "CHORUS_TUNER_EXAMPLE_TABLE: rule '%.*s': %s", (int)(e - b), b,
            why);
        return chorusInvalidArgument;
      }
      ++ctx->nrules;
    }
    if (comma == NULL) break;
    p = comma + 1;
  }
  return chorusSuccess;
}

static chorusResult_t ExampleInit(chorusTunerLogFn_v1_t logFn, void** context) {
  const char* table = getenv("CHORUS_TUNER_EXAMPLE_TABLE");
  chorusResult_t r;
  Context* ctx = (Context*)calloc(1, sizeof(Context));
  if (ctx == NULL) return chorusSystemError;
  ctx->log = logFn;
  r = ParseTable(table != NULL ? table : "", ctx);
  if (r != chorusSuccess) {
    free(ctx);
    return r;
  }
  Say(logFn, chorusTunerLogInfo, "example: %d rule(s) from CHORUS_TUNER_EXAMPLE_TABLE", ctx->nrules);
  *context = ctx;
  return chorusSuccess;
}

static chorusResult_t ExampleGetCollInfo(void* context, int collective, size_t bytes, size_t elemSize,
                                         int op, int nranks, int ranksPerNode, int numAlgos,
                                         const char* const* algoNames, int numChannelOptions,
                                         const int* channelOptions, float* costTable) {
  const Context* ctx = (const Context*)context;
  const Rule* rule = NULL;
  int i, a, c, keep = -1, keep_channel = -1, any_finite = 0;
  (void)elemSize;
  (void)op;
  (void)ranksPerNode;
  for (i = 0; i < ctx->nrules && rule == NULL; ++i) {
    const Rule* r = &ctx->rules[i];
    if (r->collective == collective && bytes >= r->low && (r->unbounded || bytes < r->high)) rule = r;
  }
  if (rule == NULL) return chorusSuccess;
  for (a = 0; a < numAlgos; ++a)
    if (strcmp(algoNames[a], rule->algorithm) == 0) keep = a;
  if (keep < 0) {
    Say(ctx->log, chorusTunerLogInfo, "example: %s cannot run %s of %lu bytes on %d ranks; model decides",
        rule->algorithm, kCollectiveNames[collective], (unsigned long)bytes, nranks);
    return chorusSuccess;
  }
  if (rule->channels > 0) {
    for (c = 0; c < numChannelOptions; ++c)
      if (channelOptions[c] == rule->channels) keep_channel = c;
    if (keep_channel < 0) {
      Say(ctx->log, chorusTunerLogInfo, "example: %d channels are not on offer; model decides",
          rule->channels);
      return chorusSuccess;
    }
  }
  for (a = 0; a < numAlgos; ++a) {
    for (c = 0; c < numChannelOptions; ++c) {
      float* cost = &costTable[a * numChannelOptions + c];
      if (a != keep || (keep_channel >= 0 && c != keep_channel)) *cost = INFINITY;
      else if (isfinite(*cost)) any_finite = 1;
    }
  }
  /* The model did not price what the rule asks for: offer it anyway (Chorus prices it). */
  if (!any_finite) costTable[keep * numChannelOptions + (keep_channel >= 0 ? keep_channel : 0)] = 0.0f;
  return chorusSuccess;
}

static chorusResult_t ExampleDestroy(void* context) {
  free(context);
  return chorusSuccess;
}

CHORUS_TUNER_PLUGIN_EXPORT const chorusTunerPlugin_v1_t chorusTunerPlugin_v1 = {
    "example", ExampleInit, ExampleGetCollInfo, ExampleDestroy};
