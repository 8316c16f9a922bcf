// The table of bad inputs: each returns its documented code and a message that says what is wrong.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "chorus/chorus.h"
#include "support/test_support.h"

namespace chorus::testing {
namespace {

struct BadCall {
  const char* name;
  chorusResult_t want;
  const char* message_contains;
  std::function<chorusResult_t(chorusComm_t comm, int rank)> call;
};

// A 2-rank communicator where rank 1 just keeps up: bad calls are rejected before any
// communication, so rank 0 can run the whole table alone while rank 1 waits at the end barrier.
TEST(ApiErrors, BadInputsTable) {
  float buf[64] = {};
  float out[64] = {};
  const std::vector<BadCall> table = {
      {"null sendbuff", chorusInvalidArgument, "sendbuff is NULL",
       [&](chorusComm_t c, int) { return chorusAllReduce(nullptr, out, 4, chorusFloat32, chorusSum, c, nullptr); }},
      {"null recvbuff", chorusInvalidArgument, "recvbuff is NULL",
       [&](chorusComm_t c, int) { return chorusAllReduce(buf, nullptr, 4, chorusFloat32, chorusSum, c, nullptr); }},
      {"invalid dtype", chorusInvalidArgument, "invalid datatype",
       [&](chorusComm_t c, int) { return chorusAllReduce(buf, out, 4, static_cast<chorusDataType_t>(99), chorusSum, c, nullptr); }},
      {"negative dtype", chorusInvalidArgument, "invalid datatype",
       [&](chorusComm_t c, int) { return chorusAllGather(buf, out, 1, static_cast<chorusDataType_t>(-1), c, nullptr); }},
      {"invalid op", chorusInvalidArgument, "invalid reduction op",
       [&](chorusComm_t c, int) { return chorusAllReduce(buf, out, 4, chorusFloat32, static_cast<chorusRedOp_t>(17), c, nullptr); }},
      {"invalid root", chorusInvalidArgument, "root 2 is outside",
       [&](chorusComm_t c, int) { return chorusBroadcast(buf, out, 4, chorusFloat32, 2, c, nullptr); }},
      {"negative root", chorusInvalidArgument, "root -1 is outside",
       [&](chorusComm_t c, int) { return chorusReduce(buf, out, 4, chorusFloat32, chorusSum, -1, c, nullptr); }},
      {"invalid peer", chorusInvalidArgument, "peer 5 is outside",
       [&](chorusComm_t c, int) { return chorusSend(buf, 4, chorusFloat32, 5, c, nullptr); }},
      {"invalid recv peer", chorusInvalidArgument, "peer -3 is outside",
       [&](chorusComm_t c, int) { return chorusRecv(buf, 4, chorusFloat32, -3, c, nullptr); }},
      {"null comm", chorusInvalidArgument, "comm is NULL",
       [&](chorusComm_t, int) { return chorusAllReduce(buf, out, 4, chorusFloat32, chorusSum, nullptr, nullptr); }},
      {"non-null stream on CPU", chorusInvalidArgument, "stream must be NULL",
       [&](chorusComm_t c, int) { return chorusAllReduce(buf, out, 4, chorusFloat32, chorusSum, c, reinterpret_cast<chorusStream_t>(0x10)); }},
      {"partially overlapping buffers", chorusInvalidArgument, "overlap",
       [&](chorusComm_t c, int) { return chorusAllReduce(buf, buf + 1, 8, chorusFloat32, chorusSum, c, nullptr); }},
      {"count overflow", chorusInvalidArgument, "too large",
       [&](chorusComm_t c, int) { return chorusAllGather(buf, out, SIZE_MAX / 2, chorusFloat32, c, nullptr); }},
      {"group end without start", chorusInvalidUsage, "without chorusGroupStart",
       [&](chorusComm_t, int) { return chorusGroupEnd(); }},
      {"null count out", chorusInvalidArgument, "count is NULL",
       [&](chorusComm_t c, int) { return chorusCommCount(c, nullptr); }},
  };
  std::string err = RunRanks(2, RankMode::kProcesses, [&](int rank, int n, const chorusUniqueId& id) -> std::string {
    chorusComm_t comm = nullptr;
    if (chorusCommInitRank(&comm, n, id, rank, nullptr) != chorusSuccess) return chorusGetLastError(nullptr);
    std::string failures;
    if (rank == 0) {
      for (const auto& row : table) {
        chorusResult_t r = row.call(comm, rank);
        std::string msg = chorusGetLastError(row.name == std::string("null comm") || row.name == std::string("group end without start") ? nullptr : comm);
        if (r != row.want) {
          failures += std::string(row.name) + ": got " + chorusGetErrorString(r) + " (" + msg + "), want " +
                      chorusGetErrorString(row.want) + "\n";
        } else if (msg.find(row.message_contains) == std::string::npos) {
          failures += std::string(row.name) + ": message '" + msg + "' lacks '" + row.message_contains + "'\n";
        }
      }
    }
    // Both ranks still work after the bad calls.
    float x = static_cast<float>(rank + 1), y = 0;
    if (chorusAllReduce(&x, &y, 1, chorusFloat32, chorusSum, comm, nullptr) != chorusSuccess || y != 3.0f) {
      failures += "all-reduce after the bad calls failed: " + std::string(chorusGetLastError(comm));
    }
    chorusCommDestroy(comm);
    return failures;
  });
  EXPECT_EQ(err, "");
}

TEST(ApiErrors, InitArguments) {
  chorusUniqueId id;
  ASSERT_EQ(chorusGetUniqueId(&id), chorusSuccess);
  chorusComm_t comm = nullptr;
  EXPECT_EQ(chorusCommInitRank(&comm, 2, id, 2, nullptr), chorusInvalidArgument);
  EXPECT_NE(std::string(chorusGetLastError(nullptr)).find("rank 2 is outside"), std::string::npos);
  EXPECT_EQ(chorusCommInitRank(&comm, 0, id, 0, nullptr), chorusInvalidArgument);
  EXPECT_EQ(chorusCommInitRank(nullptr, 1, id, 0, nullptr), chorusInvalidArgument);
  EXPECT_EQ(chorusGetUniqueId(nullptr), chorusInvalidArgument);
  EXPECT_EQ(chorusCommInitAll(nullptr, 2, nullptr), chorusInvalidArgument);
  chorusComm_t comms[2];
  EXPECT_EQ(chorusCommInitAll(comms, 0, nullptr), chorusInvalidArgument);
  chorusConfig_t bad_config = CHORUS_CONFIG_INITIALIZER;
  bad_config.magic = 0;
  EXPECT_EQ(chorusCommInitRank(&comm, 1, id, 0, &bad_config), chorusInvalidArgument);
  EXPECT_NE(std::string(chorusGetLastError(nullptr)).find("CHORUS_CONFIG_INITIALIZER"), std::string::npos);
  int v = 0;
  EXPECT_EQ(chorusGetVersion(&v), chorusSuccess);
  EXPECT_EQ(v, CHORUS_VERSION_CODE);
  EXPECT_EQ(chorusGetVersion(nullptr), chorusInvalidArgument);
  for (int r = 0; r < chorusNumResults; ++r) {
    EXPECT_STRNE(chorusGetErrorString(static_cast<chorusResult_t>(r)), "unknown result code");
  }
}

TEST(ApiErrors, UseAfterDestroy) {
  chorusUniqueId id;
  ASSERT_EQ(chorusGetUniqueId(&id), chorusSuccess);
  chorusComm_t comm = nullptr;
  ASSERT_EQ(chorusCommInitRank(&comm, 1, id, 0, nullptr), chorusSuccess);
  int n = 0;
  EXPECT_EQ(chorusCommCount(comm, &n), chorusSuccess);
  EXPECT_EQ(n, 1);
  ASSERT_EQ(chorusCommDestroy(comm), chorusSuccess);
  float x = 1, y = 0;
  EXPECT_EQ(chorusAllReduce(&x, &y, 1, chorusFloat32, chorusSum, comm, nullptr), chorusInvalidUsage);
  EXPECT_NE(std::string(chorusGetLastError(comm)).find("not a live communicator"), std::string::npos);
  EXPECT_EQ(chorusCommDestroy(comm), chorusInvalidUsage);
  EXPECT_EQ(chorusCommCount(comm, &n), chorusInvalidUsage);
}

// Ranks that call different collectives (or counts) get chorusInvalidUsage naming the mismatch,
// not a hang or a silently wrong answer.
TEST(ApiErrors, MismatchedCountsAreDetected) {
  std::string err = RunRanks(2, RankMode::kThreads, [&](int rank, int n, const chorusUniqueId& id) -> std::string {
    chorusConfig_t cfg = CHORUS_CONFIG_INITIALIZER;
    cfg.timeoutMs = 5000;
    chorusComm_t comm = nullptr;
    if (chorusCommInitRank(&comm, n, id, rank, &cfg) != chorusSuccess) return chorusGetLastError(nullptr);
    std::vector<float> in(1000, 1.0f), out(1000);
    size_t count = rank == 0 ? 1000 : 600;
    chorusResult_t r = chorusAllReduce(in.data(), out.data(), count, chorusFloat32, chorusSum, comm, nullptr);
    std::string msg = chorusGetLastError(comm);
    chorusCommAbort(comm);
    if (r != chorusInvalidUsage && r != chorusTimeout && r != chorusRemoteError) {
      return std::string("got ") + chorusGetErrorString(r) + ": " + msg;
    }
    if (r == chorusInvalidUsage && msg.find("expected a") == std::string::npos) return "message: " + msg;
    return "";
  });
  EXPECT_EQ(err, "");
}

}  // namespace
}  // namespace chorus::testing
