// What the cost model knows about the machine: per-link latency and bandwidth, local copy and
// reduction speed, and which links share one bandwidth (all ranks of a host share its memory
// system). The topology layer builds one from its graph; DefaultHostModel() describes ranks that
// talk through host shared memory.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace chorus::tune {

struct LinkCost {
  double alpha_s = 0;          // time from posting a message until its data starts to flow
  double beta_s_per_byte = 0;  // 1 / bandwidth of this link alone
};

struct LinkModel {
  // Names the model in the tuner's cache and log lines; two models with the same name must
  // describe the same machine.
  std::string name;
  std::function<LinkCost(Rank from, Rank to)> link;
  // Optional: ranks in the same domain (>= 0) share one bandwidth (e.g. a host's memory system):
  // every message between two ranks of a domain also takes its bytes from this budget.
  std::function<int(Rank)> domain;
  double domain_beta_s_per_byte = 0;
  // Optional (> 0): each rank's sends and receives together share this bandwidth (one engine per
  // rank copies every byte in and out: host memory transports).
  double endpoint_beta_s_per_byte = 0;
  // Optional: links several rank pairs cross (a NIC, a PCIe switch's uplink, a socket link, a
  // spine): shared(from, to) lists the ones a message from `from` to `to` crosses besides its own
  // link, its endpoints and its domain (indices into shared_beta_s_per_byte: each one's 1 /
  // bandwidth in that direction); nullptr or empty: none. Every message crossing one takes its
  // bytes from that one bandwidth.
  std::function<const std::vector<int>*(Rank from, Rank to)> shared;
  std::vector<double> shared_beta_s_per_byte;
  double gamma_s_per_byte = 0;  // reducing one byte of output locally
  double copy_s_per_byte = 0;   // copying one byte locally
  // Time from a send to the moment its receiver can start on it, overlapping with everything
  // else (LogP's L); the link's alpha is the receiver's own per-message cost, paid in turn. Host
  // ranks on their own cores: 0 (alpha covers it). Ranks sharing cores: the wait for the peer
  // to get a core back (ForSharedCores).
  double latency_s = 0;
  // Ranks sharing cores: a message also waits this share of its own transfer time on its link
  // (bytes x the link's beta) before its receiver can start on it, overlapping like latency_s.
  // The rank it waits for shares a core with others whose work in the same round grows with the
  // round's bytes. 0: none (ForSharedCores sets it).
  double core_wait_share = 0;
  // A call whose working set (every rank's input and output) fits in this many bytes of shared
  // cache (times cache_usable_share) moves and reduces its bytes cache_speedup times faster than
  // the per-byte figures above, which are memory's (0: no cache). Host ranks: the last-level cache.
  double cache_bytes = 0;
  double cache_speedup = 1;
  // The part of cache_bytes a call's working set may fill and still count as in cache: the rest
  // holds the transport's FIFOs, scratch, page tables and, on a VM, the neighbours' data (its L3
  // is shared with them).
  double cache_usable_share = 1;
  // Reductions gain only this share of a cache's speedup (they compute as well as move: the
  // vector kernels run at ~0.9x memcpy beyond the caches but ~0.65x within them).
  double reduce_cache_share = 1;
  // A call whose bytes per core (each rank's input and output, times the ranks sharing a core) fit
  // in this many bytes of the core's own cache (L2) moves them private_cache_speedup times faster
  // than memory instead (0: not modelled).
  double private_cache_bytes = 0;
  double private_cache_speedup = 1;
  // A call beyond the cache: what a fused step forwards as it receives it is still in cache, so
  // its bytes cost this many times less than the memory figures (ForWorkingSet sets it, to
  // forward_cache_speedup).
  double forward_speedup = 1;
  // What ForWorkingSet gives forward_speedup beyond the cache (0: cache_speedup). Only the
  // sender's read of a forwarded message is in cache; the receiver still writes it to memory.
  double forward_cache_speedup = 0;
  // A call beyond the cache: a reduction whose own operand (in the input or output) comes from
  // memory reads it at this cost per byte on top of gamma (ForWorkingSet sets it from
  // memory_read_s_per_byte). Not when one of the few steps before sent or wrote the same slice:
  // it is in cache (one-shot's pieces), which is why such schedules move less memory.
  double cold_read_s_per_byte = 0;
  double memory_read_s_per_byte = 0;
  // A call beyond the cache: a local copy or receive into a result nothing reads again in the
  // call (Step::result_unread), or a fused reduce-and-forward into the output
  // (sched::StreamsWhenLarge), is written with streaming stores: this many times cheaper (no
  // read-for-ownership of the destination). Within the cache: 1.
  double stream_speedup = 1;
  // The engine streams only in calls whose output reaches this many bytes per rank
  // (CHORUS_NT_STORE_BYTES; 0: never), so smaller calls are priced without stream_speedup.
  double stream_min_output_bytes = 16 << 20;
  // Ranks per core (ForSharedCores): above 1, a forwarded piece waits for its receiver to get the
  // core back, by when it has left the cache: fused forwarding gets no forward_speedup.
  double ranks_per_core = 1;
  // A fused receive-and-forward step forwards only once its whole message has arrived (set by
  // ForSharedCores). With a core per rank the next hop starts after one pipeline piece (cut
  // through); ranks that take turns on fewer cores cannot all stream at once.
  bool store_and_forward = false;
  // Fused receive-and-forward steps stream at this grain (the transport's slot size): the
  // forwarded message starts once one such piece has arrived.
  double pipeline_bytes = 256 * 1024;
  // kSwitchReduce: latency and per-byte cost of a reduction in the switch. The per-byte cost is
  // each rank's port: one rank's reductions (on every channel) share it. Optional (> 0): the
  // switch's aggregate, 1 / the bandwidth all ranks' switch traffic shares (ranks on one
  // device share its ports; a switch slower than its ports).
  double switch_alpha_s = 2e-6;
  double switch_beta_s_per_byte = 0;
  double switch_aggregate_beta_s_per_byte = 0;
};

// Ranks of one host exchanging messages through shared memory, fitted to measurements of the shm
// transport (docs/algorithms.md, "Calibration"): 1 us per message, 4.5 GB/s per message, 9 GB/s
// of sends plus receives per rank, 36 GB/s of message traffic shared by all ranks of the host,
// reductions at 7.2 GB/s of output (the vector kernels; 2.5 GB/s when scalar) and local copies
// at 8 GB/s per rank; the cache and memory terms of docs/algorithms.md, session 4.
LinkModel DefaultHostModel();
// The last-level cache one core of this host shares, in bytes (0: unknown).
uint64_t LastLevelCacheBytes();
// The largest cache one core has to itself (L2), in bytes (0: unknown).
uint64_t PrivateCacheBytes();
// `m` with its per-byte costs for a call of `working_set` bytes over `nranks` ranks: divided by
// private_cache_speedup when each core's share fits its own cache, else by cache_speedup when the
// working set fits in the usable part of the shared cache (cache_bytes x cache_usable_share).
LinkModel ForWorkingSet(const LinkModel& m, double working_set, int nranks = 0);
// CHORUS_HOST_MODEL's "key=value,..." (docs/env.md) applied to a host model: what it could
// use is applied; the items it could not are named in the error.
Status ApplyHostModelOverrides(LinkModel* m, const std::string& spec);
// `m` for host ranks that share cores, `ranks_per_core` (> 1) of them on each: every dependency
// between ranks waits for the peer to be scheduled.
void ForSharedCores(LinkModel* m, double ranks_per_core);

}  // namespace chorus::tune
