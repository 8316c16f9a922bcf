#include "chorus-bench/sizes.h"

#include <cctype>
#include <cstdio>
#include <limits>

namespace chorus::bench {

std::optional<std::size_t> ParseBytes(std::string_view text) {
  std::size_t i = 0;
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0]))) return std::nullopt;
  unsigned __int128 value = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    value = value * 10 + static_cast<unsigned>(text[i] - '0');
    if (value > std::numeric_limits<std::size_t>::max()) return std::nullopt;
    ++i;
  }
  std::string_view rest = text.substr(i);
  unsigned shift = 0;
  if (!rest.empty()) {
    switch (std::toupper(static_cast<unsigned char>(rest[0]))) {
      case 'K': shift = 10; break;
      case 'M': shift = 20; break;
      case 'G': shift = 30; break;
      case 'T': shift = 40; break;
      case 'B': break;
      default: return std::nullopt;
    }
    if (shift != 0) rest.remove_prefix(1);
    // Optional unit after the multiplier: "B", "iB", "b".
    if (rest == "iB" || rest == "ib" || rest == "B" || rest == "b" || rest.empty()) {
      rest = {};
    } else {
      return std::nullopt;
    }
  }
  value <<= shift;
  if (value > std::numeric_limits<std::size_t>::max()) return std::nullopt;
  return static_cast<std::size_t>(value);
}

std::string FormatBytes(std::size_t bytes) {
  static constexpr const char* kSuffix[] = {"", "K", "M", "G", "T"};
  int unit = 0;
  while (unit < 4 && bytes != 0 && bytes % 1024 == 0) {
    bytes /= 1024;
    ++unit;
  }
  return std::to_string(bytes) + kSuffix[unit];
}

std::string HumanBytes(double bytes) {
  static constexpr const char* kUnit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (unit < 4 && bytes >= 1024.0) {
    bytes /= 1024.0;
    ++unit;
  }
  char buf[32];
  if (unit == 0 || bytes == static_cast<double>(static_cast<long long>(bytes))) {
    std::snprintf(buf, sizeof buf, "%.0f %s", bytes, kUnit[unit]);
  } else {
    std::snprintf(buf, sizeof buf, "%.3g %s", bytes, kUnit[unit]);
  }
  return buf;
}

std::vector<std::size_t> SizeSweep(const Sweep& s) {
  std::vector<std::size_t> out;
  if (s.min_bytes > s.max_bytes) return out;
  const bool linear = s.step_bytes > 0;
  if (!linear && (s.step_factor <= 1 || s.min_bytes == 0)) return out;
  std::size_t size = s.min_bytes;
  while (size <= s.max_bytes) {
    out.push_back(size);
    std::size_t next;
    if (linear) {
      if (__builtin_add_overflow(size, s.step_bytes, &next)) break;
    } else {
      if (__builtin_mul_overflow(size, s.step_factor, &next)) break;
    }
    size = next;
  }
  return out;
}

Shape ShapeFor(Coll c, std::size_t requested_bytes, std::size_t elem_size, int nranks) {
  const std::size_t n = nranks > 0 ? static_cast<std::size_t>(nranks) : 1;
  const std::size_t total = requested_bytes / elem_size;
  Shape s;
  switch (c) {
    case Coll::kAllReduce:
    case Coll::kBroadcast:
    case Coll::kReduce:
    case Coll::kSendRecv:
      s.count = total;
      s.send_elems = s.recv_elems = total;
      s.elems = total;
      break;
    case Coll::kAllGather:
      s.count = total / n;
      s.send_elems = s.count;
      s.recv_elems = s.count * n;
      s.elems = s.count * n;
      break;
    case Coll::kReduceScatter:
      s.count = total / n;
      s.send_elems = s.count * n;
      s.recv_elems = s.count;
      s.elems = s.count * n;
      break;
    case Coll::kAllToAll:
      s.count = total / n;
      s.send_elems = s.recv_elems = s.count * n;
      s.elems = s.count * n;
      break;
  }
  s.bytes = s.elems * elem_size;
  return s;
}

double BusBwFactor(Coll c, int nranks) {
  const double n = nranks;
  if (nranks <= 0) return 0.0;
  switch (c) {
    case Coll::kAllReduce: return 2.0 * (n - 1.0) / n;
    case Coll::kAllGather:
    case Coll::kReduceScatter:
    case Coll::kAllToAll: return (n - 1.0) / n;
    case Coll::kBroadcast:
    case Coll::kReduce:
    case Coll::kSendRecv: return 1.0;
  }
  return 1.0;
}

}  // namespace chorus::bench
