#include "api/group.h"

#include <algorithm>
#include <thread>
#include <utility>
#include <vector>

namespace chorus::api {

namespace {
// The queued operations and, at the same index, their communicators: a group on one communicator
// (the common case) runs `ops` as its batch, and both are kept across groups, so that a loop of
// small groups copies and allocates nothing.
struct GroupState {
  std::vector<CommOp> ops;
  std::vector<chorusComm*> comms;
  ~GroupState();
};
// The queue is reached through a plain pointer: a thread_local with a constructor is reached
// through its initialisation guard, which costs a call to __tls_get_addr on every access (a
// twentieth of a grouped send and receive). The state itself is built on the thread's first group.
__attribute__((tls_model("initial-exec"))) thread_local GroupState* group_state = nullptr;
GroupState::~GroupState() { group_state = nullptr; }
[[gnu::noinline]] GroupState& FirstGroup() {
  thread_local GroupState state;  // destroyed at the thread's exit
  group_state = &state;
  return state;
}
inline GroupState& Group() { return group_state != nullptr ? *group_state : FirstGroup(); }
// Apart from the queue: a plain int needs no per-access initialisation check, and every call
// outside a group reads it.
__attribute__((tls_model("initial-exec"))) thread_local int group_depth = 0;

// Runs one communicator's batch with the caller counted in.
Status RunBatch(chorusComm* comm, const std::vector<CommOp>& ops) {
  // The single call's fast path: a loop of groups on one communicator takes no lock.
  bool marked = false;
  Status st = AcquireCall(comm, "chorusGroupEnd", &marked);
  if (!st.ok()) return st;
  st = comm->impl->Run(ops);
  if (!st.ok()) Report(comm, st);
  ReleaseCall(comm, marked);
  return st;
}
}  // namespace

bool InGroup() { return group_depth > 0; }

namespace {
// Loads `v` as itself: the compiler may not merge it with a neighbour into one wider load.
template <typename T>
inline T Alone(const T& v) {
  T x = v;
  asm("" : "+r"(x));
  return x;
}

// Field by field: the caller built the operation on its stack one store per field, and a plain
// copy's wider loads spanning two of those stores wait for them to reach the cache (no store
// forwarding): a tenth of a grouped send and receive.
void CopyOp(const CommOp& op, CommOp* d) {
  d->coll = Alone(op.coll);
  d->sendbuff = Alone(op.sendbuff);
  d->recvbuff = Alone(op.recvbuff);
  d->count = Alone(op.count);
  d->dtype = Alone(op.dtype);
  d->op = Alone(op.op);
  d->root = Alone(op.root);
  d->is_send = Alone(op.is_send);
}
}  // namespace

void Enqueue(chorusComm* comm, const CommOp& op) {
  GroupState& g = Group();
  CopyOp(op, &g.ops.emplace_back());
  g.comms.push_back(comm);
}

chorusResult_t Submit(chorusComm* comm, const CommOp& op) {
  if (InGroup()) {
    Enqueue(comm, op);
    return chorusSuccess;
  }
  bool marked = false;
  Status st = AcquireCall(comm, Name(op.coll), &marked);
  if (!st.ok()) return Report(nullptr, st);
  st = comm->impl->Run(&op, 1);
  chorusResult_t r = Report(comm, st);
  ReleaseCall(comm, marked);
  return r;
}

}  // namespace chorus::api

extern "C" {

chorusResult_t chorusGroupStart(void) {
  ++chorus::api::group_depth;
  return chorusSuccess;
}

chorusResult_t chorusGroupEnd(void) {
  using chorus::api::group_depth;
  chorus::api::GroupState& group = chorus::api::Group();
  if (group_depth == 0) {
    return chorus::api::Report(nullptr, chorus::InvalidUsage("chorusGroupEnd without chorusGroupStart"));
  }
  if (--group_depth > 0) return chorusSuccess;
  std::vector<chorusComm*>& comms = group.comms;
  std::vector<chorus::CommOp>& ops = group.ops;
  if (std::all_of(comms.begin(), comms.end(), [&](chorusComm* c) { return c == comms.front(); })) {
    if (ops.empty()) return chorusSuccess;
    const chorus::Status st = chorus::api::RunBatch(comms.front(), ops);
    ops.clear();
    comms.clear();
    return st.ok() ? chorusSuccess : chorus::api::Report(nullptr, st);
  }
  // One batch per communicator, in issue order.
  std::vector<std::pair<chorusComm*, std::vector<chorus::CommOp>>> batches;
  for (size_t i = 0; i < ops.size(); ++i) {
    auto it = batches.begin();
    while (it != batches.end() && it->first != comms[i]) ++it;
    if (it == batches.end()) {
      batches.emplace_back(comms[i], std::vector<chorus::CommOp>{});
      it = batches.end() - 1;
    }
    it->second.push_back(ops[i]);
  }
  ops.clear();
  comms.clear();
  // Several communicators of this process (ranks as threads, chorusCommInitAll): each batch
  // blocks until its peers join, so they must run concurrently.
  std::vector<chorus::Status> results(batches.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < batches.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = chorus::api::RunBatch(batches[i].first, batches[i].second); });
  }
  for (auto& t : threads) t.join();
  for (const auto& st : results) {
    if (!st.ok()) return chorus::api::Report(nullptr, st);
  }
  return chorusSuccess;
}

}  // extern "C"
