// C++ RAII wrapper over the C API: a communicator that frees itself, results as exceptions
// carrying the library's message. Header-only; the ABI stays the C one.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "chorus/chorus.h"

namespace chorus {

class Error : public std::runtime_error {
 public:
  Error(chorusResult_t code, const std::string& what) : std::runtime_error(what), code_(code) {}
  chorusResult_t code() const noexcept { return code_; }

 private:
  chorusResult_t code_;
};

inline void Check(chorusResult_t r, chorusComm_t comm = nullptr) {
  if (r != chorusSuccess) {
    throw Error(r, std::string(chorusGetErrorString(r)) + ": " + chorusGetLastError(comm));
  }
}

inline chorusUniqueId NewUniqueId() {
  chorusUniqueId id;
  Check(chorusGetUniqueId(&id));
  return id;
}

// Owns a chorusComm_t. Move-only; destroys the communicator when it goes out of scope.
class Comm {
 public:
  Comm() = default;
  Comm(int nranks, const chorusUniqueId& id, int rank, const chorusConfig_t* config = nullptr) {
    Check(chorusCommInitRank(&comm_, nranks, id, rank, config));
  }
  static Comm FromEnv(const chorusConfig_t* config = nullptr) {
    Comm c;
    Check(chorusCommInitFromEnv(&c.comm_, config));
    return c;
  }
  // n ranks as threads of this process.
  static std::vector<Comm> All(int n) {
    std::vector<chorusComm_t> raw(n);
    Check(chorusCommInitAll(raw.data(), n, nullptr));
    std::vector<Comm> out(n);
    for (int i = 0; i < n; ++i) out[i].comm_ = raw[i];
    return out;
  }
  ~Comm() { reset(); }
  Comm(Comm&& o) noexcept : comm_(std::exchange(o.comm_, nullptr)) {}
  Comm& operator=(Comm&& o) noexcept {
    if (this != &o) { reset(); comm_ = std::exchange(o.comm_, nullptr); }
    return *this;
  }
  Comm(const Comm&) = delete;
  Comm& operator=(const Comm&) = delete;

  chorusComm_t get() const { return comm_; }
  int rank() const { int r = -1; Check(chorusCommUserRank(comm_, &r), comm_); return r; }
  int size() const { int n = 0; Check(chorusCommCount(comm_, &n), comm_); return n; }
  // Stops outstanding work and frees without waiting on peers.
  void abort() { if (comm_ != nullptr) { chorusCommAbort(comm_); comm_ = nullptr; } }
  void reset() { if (comm_ != nullptr) { chorusCommDestroy(comm_); comm_ = nullptr; } }

  void allReduce(const void* in, void* out, size_t count, chorusDataType_t t, chorusRedOp_t op) {
    Check(chorusAllReduce(in, out, count, t, op, comm_, nullptr), comm_);
  }
  void allGather(const void* in, void* out, size_t sendcount, chorusDataType_t t) {
    Check(chorusAllGather(in, out, sendcount, t, comm_, nullptr), comm_);
  }
  void reduceScatter(const void* in, void* out, size_t recvcount, chorusDataType_t t, chorusRedOp_t op) {
    Check(chorusReduceScatter(in, out, recvcount, t, op, comm_, nullptr), comm_);
  }
  void allToAll(const void* in, void* out, size_t count, chorusDataType_t t) {
    Check(chorusAllToAll(in, out, count, t, comm_, nullptr), comm_);
  }
  void broadcast(const void* in, void* out, size_t count, chorusDataType_t t, int root) {
    Check(chorusBroadcast(in, out, count, t, root, comm_, nullptr), comm_);
  }
  void reduce(const void* in, void* out, size_t count, chorusDataType_t t, chorusRedOp_t op, int root) {
    Check(chorusReduce(in, out, count, t, op, root, comm_, nullptr), comm_);
  }
  void send(const void* buf, size_t count, chorusDataType_t t, int peer) {
    Check(chorusSend(buf, count, t, peer, comm_, nullptr), comm_);
  }
  void recv(void* buf, size_t count, chorusDataType_t t, int peer) {
    Check(chorusRecv(buf, count, t, peer, comm_, nullptr), comm_);
  }
  void barrier() { Check(chorusBarrier(comm_, nullptr), comm_); }

 private:
  chorusComm_t comm_ = nullptr;
};

// chorusGroupStart on construction, chorusGroupEnd on end() (or destruction, errors ignored).
class Group {
 public:
  Group() { Check(chorusGroupStart()); }
  ~Group() { if (open_) chorusGroupEnd(); }
  void end() { open_ = false; Check(chorusGroupEnd()); }
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;

 private:
  bool open_ = true;
};

}  // namespace chorus
