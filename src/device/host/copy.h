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

// Bytes from which a call's results are written with streaming stores (CHORUS_NT_STORE_BYTES,
// default 16 MiB; 0 turns streaming off).
Bytes StreamingThreshold();

}  // namespace chorus::host
