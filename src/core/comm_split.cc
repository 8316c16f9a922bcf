// Deriving communicators: split (by color and key, over the healthy parent) and shrink (the
// survivors of a failure, without the parent's data path or bootstrap).
#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include "core/comm.h"
#include "core/log.h"

namespace chorus {

Status Communicator::Split(int color, int key, const CommConfig& config, std::unique_ptr<Communicator>* out) {
  out->reset();
  // 1. Everyone learns everyone's (color, key).
  std::vector<int32_t> mine = {color, key};
  std::vector<int32_t> all(2 * static_cast<size_t>(nranks_));
  CHORUS_RETURN_IF_ERROR(Run({CommOp{Collective::kAllGather, mine.data(), all.data(), 2, DataType::kInt32}}));
  // 2. My group, ordered by (key, old rank); its first member creates the new id.
  std::vector<std::pair<int32_t, Rank>> members;
  if (color >= 0) {
    for (Rank r = 0; r < nranks_; ++r) {
      if (all[2 * r] == color) members.emplace_back(all[2 * r + 1], r);
    }
    std::sort(members.begin(), members.end());
  }
  const bool leader = !members.empty() && members.front().second == rank_;
  chorusUniqueId my_id;
  memset(&my_id, 0, sizeof(my_id));
  if (leader) CHORUS_RETURN_IF_ERROR(NewUniqueId(&my_id));
  // 3. Leaders' ids travel through the parent (rank r's slot holds r's id if r leads a group).
  std::vector<chorusUniqueId> ids(static_cast<size_t>(nranks_));
  Status st = Run({CommOp{Collective::kAllGather, &my_id, ids.data(), sizeof(chorusUniqueId), DataType::kUint8}});
  if (!st.ok() || color < 0) {
    if (leader) ReleaseUniqueId(my_id);
    return st;
  }
  Rank new_rank = 0;
  while (members[new_rank].second != rank_) ++new_rank;
  CHORUS_INFO(kInit, "%s: split color %d key %d -> rank %d of %d", config_.name.c_str(), color, key, new_rank,
              static_cast<int>(members.size()));
  std::vector<Rank> parent_ranks;
  for (const auto& m : members) parent_ranks.push_back(m.second);
  return CreateChild(ids[members.front().second], parent_ranks, new_rank, config, out);
}

Status Communicator::Shrink(const std::vector<Rank>& excluded, const CommConfig& config,
                            std::unique_ptr<Communicator>* out) {
  out->reset();
  std::vector<Rank> survivors;
  for (Rank r = 0; r < nranks_; ++r) {
    if (std::find(excluded.begin(), excluded.end(), r) == excluded.end()) survivors.push_back(r);
  }
  auto me = std::find(survivors.begin(), survivors.end(), rank_);
  if (me == survivors.end()) return InvalidArgument("chorusCommShrink: this rank is in the exclude list");
  const Rank new_rank = static_cast<Rank>(me - survivors.begin());
  const Rank leader = survivors.front();
  const uint64_t epoch = ++shrink_epoch_;
  // The leader posts a fresh id in its shared mailbox; the others wait for it there. Neither the
  // bootstrap (its root may be dead) nor the FIFOs (they may hold half a message) are used.
  chorusUniqueId id;
  if (leader == rank_) {
    CHORUS_RETURN_IF_ERROR(NewUniqueId(&id));
    static_assert(sizeof(chorusUniqueId) <= transport::Connections::kMailboxBytes);
    conns_->PostMailbox(epoch, &id, sizeof(id));
  } else {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.timeout_ms);
    while (!conns_->ReadMailbox(leader, epoch, &id, sizeof(id))) {
      if (conns_->PeerDead(leader)) {
        return RemoteError("chorusCommShrink: rank " + std::to_string(leader) +
                           " (the lowest surviving rank, which publishes the new id) died; exclude it too and shrink again");
      }
      if (std::chrono::steady_clock::now() > deadline) {
        return Timeout("chorusCommShrink: rank " + std::to_string(leader) +
                       " (the lowest surviving rank) did not publish the new communicator's id within " +
                       std::to_string(config_.timeout_ms) + " ms");
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
  CHORUS_INFO(kInit, "%s: shrink excluding %zu rank(s) -> rank %d of %zu", config_.name.c_str(), excluded.size(),
              new_rank, survivors.size());
  return CreateChild(id, survivors, new_rank, config, out);
}

}  // namespace chorus
