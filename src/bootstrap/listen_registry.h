// Listening sockets that NewUniqueId opened for a future root, keyed by the id. Process-wide by
// necessity: the id is the only thing the application hands from NewUniqueId to Bootstrap::Create.
// A forked child inherits the map and the descriptors, so rank 0 may run in a child too.
#pragma once

#include "chorus/chorus.h"

namespace chorus::bootstrap {

void RegisterListenFd(const chorusUniqueId& id, int fd);
// Removes and returns the descriptor kept for `id`, or -1.
int TakeListenFd(const chorusUniqueId& id);

}  // namespace chorus::bootstrap
