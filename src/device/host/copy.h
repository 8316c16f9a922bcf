// Host memory copies for the engine: ordinary ones, and ones that write around the caches.
#pragma once

#include "core/types.h"

namespace chorus::host {

// Where a result goes next. kCached keeps it in the caches for a reader soon (the next send, a
// later step); kStreamed writes it with non-temporal stores, for a large result nobody reads
// during the call: that skips the read-for-ownership of every destination line (a third of a
// copy's memory traffic) and leaves the caches to the data still in flight.
enum class Store { kCached, kStreamed };

// dst = src for n bytes; the ranges must not overlap. No alignment needed.
void Copy(void* dst, const void* src, Bytes n, Store store);

// d1 = s1 for n1 bytes (stored as `store1` says) and d2 = s2 for n2 bytes (plain stores), the
// common length in one interleaved loop: a pop out of one FIFO paired with a push into another,
// whose loads and stores then overlap. No range may overlap another. A streamed d1 is fenced
// before the return, so d2's bytes (and d1's) may be published right after.
void CopyPair(void* d1, const void* s1, Bytes n1, Store store1, void* d2, const void* s2, Bytes n2);

// Bytes from which a call's results are written with streaming stores (CHORUS_NT_STORE_BYTES,
// default 16 MiB; 0 turns streaming off).
Bytes StreamingThreshold();

}  // namespace chorus::host
