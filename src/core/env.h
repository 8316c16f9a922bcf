// Reading CHORUS_* environment variables (docs/env.md lists every one with its default).
#pragma once

#include <cstdint>
#include <string>

namespace chorus {

// The variable's value, or `fallback` when unset or empty.
std::string EnvString(const char* name, const std::string& fallback = "");
// Integer value with optional K/M/G suffix (binary multiples); `fallback` when unset or malformed
// (a malformed value is logged once).
int64_t EnvInt(const char* name, int64_t fallback);
bool EnvBool(const char* name, bool fallback);

}  // namespace chorus
