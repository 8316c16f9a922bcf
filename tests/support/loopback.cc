#include "support/loopback.h"

#include <cstring>

#include "exec/host_engine.h"
#include "support/test_support.h"

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

sched::Slice AbsoluteSlice(const void* p, size_t n) {
  return sched::Slice{sched::Buffer::kInput, reinterpret_cast<uintptr_t>(p), n};
}

sched::Step SendStep(const void* p, size_t n) {
  sched::Step s;
  s.op = sched::OpCode::kSend;
  s.peer = 0;
  s.src = AbsoluteSlice(p, n);
  return s;
}

sched::Step RecvStep(sched::OpCode op, const void* src, void* dst, size_t n) {
  sched::Step s;
  s.op = op;
  s.peer = 0;
  s.src = AbsoluteSlice(src, n);
  s.dst = AbsoluteSlice(dst, n);
  return s;
}

sched::Step CopyStep(const void* src, void* dst, size_t n) {
  sched::Step s;
  s.op = sched::OpCode::kCopy;
  s.src = AbsoluteSlice(src, n);
  s.dst = AbsoluteSlice(dst, n);
  return s;
}

LoopbackOutcome RunOnLoopback(Loopback* conns, std::vector<sched::Step> steps, int64_t timeout_ms, uint64_t spin_us) {
  sched::RankProgram program;
  program.channels.resize(1);
  program.channels[0].steps = std::move(steps);
  exec::ExecBuffers buffers;  // absolute addresses
  exec::EngineScratch scratch;
  exec::ExecParams params;
  params.dtype = DataType::kUint8;
  params.tag = 0x20;
  params.conns = conns;
  params.timeout_ms = timeout_ms;
  params.scratch = &scratch;
  params.backoff.spin_us = spin_us;
  LoopbackOutcome r;
  r.status = exec::Execute(program, buffers, params);
  r.straight = scratch.straight_calls();
  r.ridden = scratch.ridden_copies();
  return r;
}

std::vector<unsigned char> RandomBytes(size_t n, uint64_t seed) {
  std::vector<unsigned char> v(n);
  Rng rng(seed);
  for (auto& b : v) b = static_cast<unsigned char>(rng.Next());
  return v;
}

}  // namespace chorus::testing
