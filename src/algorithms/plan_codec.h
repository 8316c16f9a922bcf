// Plans: every rank's schedule for one call, as text. A plan file can be written by a generator
// (to look at it, diff it, or run it elsewhere) and read back from a file nobody vouches for, so
// the decoder treats its input as hostile: every number is range-checked, memory is bounded by
// the caps below, and every error names the line and the problem.
//
//   chorus-plan 1
//   algorithm ring
//   collective allreduce
//   nranks 2
//   count 8
//   root 0
//   op sum
//   elem-size 4
//   chunk-bytes 0
//   channels 1
//   in-place false
//   has-output true
//   ranks-per-node 0
//   reducing-switch false
//   rank 0 scratch=0 channels=1
//   rank 0 channel 0: send peer=1 src=in[4+4]
//   rank 0 channel 0: recv-reduce-send peer=1 ->1 src=in[0+4] dst=out[0+4] final
//   rank 0 channel 0: recv peer=1 dst=out[4+4]
//   rank 1 scratch=0 channels=1
//   ...
//   end
//
// The header lines come in this order, once each. Then, for rank 0, 1, ..., nranks-1 in turn, a
// rank line and that rank's steps; a step names its rank (which must be the current one) and a
// channel below the rank's channel count; steps append to their channel in file order. A step is
// an opcode (schedule.cc's Name(OpCode)) followed by the fields that differ from Step's
// defaults, in this order: peer=R, ->R (send_peer), src=BUF[OFFSET+COUNT], dst=..., flag=N,
// final. BUF is in, out or scratch. `end` closes the plan; blank lines and lines starting with
// '#' are ignored anywhere. Numbers are decimal without sign or leading zeros.
//
// Decoding checks syntax and ranges, not meaning: a decoded plan may still deadlock or compute
// the wrong thing. Run VerifySchedule (verifier.h) on it before executing it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "algorithms/schedule.h"
#include "core/status.h"

namespace chorus::sched {

constexpr int kPlanVersion = 1;
// Caps that bound what a decoded plan may claim (and so the memory decoding it may take).
constexpr int kMaxPlanRanks = 65536;
constexpr int kMaxPlanChannels = 1024;              // per rank, and the header's `channels`
constexpr size_t kMaxPlanTotalChannels = 1u << 20;  // summed over the ranks
constexpr size_t kMaxPlanSteps = 10'000'000;        // summed over every rank and channel
constexpr Count kMaxPlanElems = Count{1} << 48;     // any buffer, slice end or scratch size
constexpr Bytes kMaxPlanElemSize = 64;
constexpr Bytes kMaxPlanChunkBytes = Bytes{1} << 48;
constexpr size_t kMaxPlanNameBytes = 64;  // the algorithm's name: [A-Za-z0-9_.+-], non-empty

struct PlanHeader {
  std::string algorithm;  // who made it ("ring"); a label, not looked up
  CollArgs args;          // the call: args.nranks programs follow
};

// Writes `programs` (programs[r] is rank r's, for header.args.nranks ranks) as plan text into
// *out. Fails (InvalidArgument) on anything DecodePlan would reject, so that whatever it writes
// reads back: encode -> decode -> encode gives the same text.
Status EncodePlan(const std::vector<RankProgram>& programs, const PlanHeader& header,
                  std::string* out);

// Parses plan text. On success fills *header and *programs (programs[r].rank == r, nranks from
// the header); on failure leaves them untouched and returns InvalidArgument("plan line N: ...").
Status DecodePlan(std::string_view text, PlanHeader* header, std::vector<RankProgram>* programs);

}  // namespace chorus::sched
