// Group calls: operations issued between chorusGroupStart and chorusGroupEnd on this thread are
// queued and run together at the outermost chorusGroupEnd.
#pragma once

#include "api/handle.h"
#include "core/comm.h"

namespace chorus::api {

bool InGroup();
// Queues `op` for comm (the caller has validated it).
void Enqueue(chorusComm* comm, const CommOp& op);
// Runs `op` now (outside a group) or queues it; returns the C result.
chorusResult_t Submit(chorusComm* comm, const CommOp& op);

}  // namespace chorus::api
