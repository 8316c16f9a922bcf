// Numbers in topology text: shortest round-trip formatting and strict parsing (the whole string
// must be a number; no locale, no trailing junk), so that files written and read back are identical.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace chorus::topo {

// Shortest text that reads back as exactly `v` ("450", "0.3", "1e-07").
std::string FormatDouble(double v);

// False unless `s` is entirely one finite number.
bool ParseDouble(std::string_view s, double* out);
// False unless `s` is entirely one integer that fits.
bool ParseInt64(std::string_view s, int64_t* out);
bool ParseUint64(std::string_view s, uint64_t* out);

}  // namespace chorus::topo
