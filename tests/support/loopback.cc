#include "support/loopback.h"

#include <cstring>

namespace chorus::testing {
namespace {
// Aligned as a shared-memory segment is (the FIFO's control lines are 64-byte aligned).
char* Zeroed(size_t bytes) {
  const size_t rounded = (bytes + 63) / 64 * 64;
  char* p = static_cast<char*>(std::aligned_alloc(64, rounded));
  if (p != nullptr) memset(p, 0, rounded);
  return p;
}
}  // namespace

Loopback::Loopback(const shm::FifoGeometry& g, shm::PushStores push)
    : memory_(Zeroed(g.fifo_bytes())), writer_(memory_.get(), g), reader_(memory_.get(), g, 0, 0) {
  writer_.SetPushStores(push, 0);
}

}  // namespace chorus::testing
