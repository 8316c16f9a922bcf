// SHA-256 (FIPS 180-4), used to turn a user's secret string into the id's 16-byte secret.
#pragma once

#include <cstddef>
#include <cstdint>

namespace chorus::bootstrap {

void Sha256(const void* data, size_t bytes, uint8_t digest[32]);

}  // namespace chorus::bootstrap
