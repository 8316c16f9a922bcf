// Message sizes: parsing "256M", the sweep nccl-tests walks, how a size maps to element counts for
// each collective, and the bus-bandwidth factors.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chorus-bench/vocab.h"

namespace chorus::bench {

// "8", "64K", "256M", "1G", "2MiB", "4kb": binary multiples, as nccl-tests. nullopt when malformed
// or when the value overflows.
std::optional<std::size_t> ParseBytes(std::string_view text);
// 268435456 -> "256M", 1000 -> "1000": the shortest exact form ParseBytes reads back.
std::string FormatBytes(std::size_t bytes);
// 268435456 -> "256 MiB", 1536 -> "1.5 KiB": for people.
std::string HumanBytes(double bytes);

struct Sweep {
  std::size_t min_bytes = 8;
  std::size_t max_bytes = 32u << 20;
  std::size_t step_factor = 2;  // > 1: geometric steps
  std::size_t step_bytes = 0;   // > 0: linear steps (then step_factor is ignored)
};
// min, min*f, ... <= max (or min, min+step, ...). Empty when the sweep cannot advance (factor <= 1
// and step 0, or a geometric sweep starting at 0), or when min > max.
std::vector<std::size_t> SizeSweep(const Sweep& s);

// How a requested size becomes the call's arguments. `count` is the count passed to the API (per
// rank for all-gather, reduce-scatter and all-to-all); send/recv_elems are the buffer lengths;
// `bytes` is the size the table prints (nccl-tests' convention: all-gather and reduce-scatter print
// the total gathered bytes, all-to-all the bytes each rank sends); `elems` = bytes / element size.
struct Shape {
  std::size_t count = 0;
  std::size_t send_elems = 0;
  std::size_t recv_elems = 0;
  std::size_t bytes = 0;
  std::size_t elems = 0;
};
Shape ShapeFor(Coll c, std::size_t requested_bytes, std::size_t elem_size, int nranks);

// busbw = algbw * factor: the fraction of the data each rank must move over its slowest link for a
// bandwidth-optimal algorithm (nccl-tests' PERFORMANCE.md).
double BusBwFactor(Coll c, int nranks);

}  // namespace chorus::bench
