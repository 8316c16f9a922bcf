// Fuzzes the plan decoder (algorithms/plan_codec.h) and, on small plans it accepts, the schedule
// verifier (algorithms/verifier.h), which must reject nonsense plans with an error, never crash.
//
// Input: plan text. What decodes must encode, and that encoding must be a fixed point of
// decode -> encode.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "algorithms/plan_codec.h"
#include "algorithms/verifier.h"
#include "fuzz_check.h"

namespace {

// The verifier's cost grows with ranks x steps; keep each input fast.
constexpr int kVerifyMaxRanks = 64;
constexpr size_t kVerifyMaxSteps = 4096;
constexpr size_t kVerifyMaxChannels = 512;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace chorus;
  using namespace chorus::sched;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  PlanHeader header;
  std::vector<RankProgram> programs;
  Status s = DecodePlan(text, &header, &programs);
  if (!s.ok()) {
    FUZZ_CHECK(s.code() == chorusInvalidArgument, s.message());
    FUZZ_CHECK(s.message().rfind("plan line ", 0) == 0, "error does not name the line: " + s.message());
    FUZZ_CHECK(programs.empty(), "outputs written on failure");
    return 0;
  }
  FUZZ_CHECK(programs.size() == static_cast<size_t>(header.args.nranks), "program count");

  std::string first;
  s = EncodePlan(programs, header, &first);
  FUZZ_CHECK(s.ok(), "a decoded plan does not encode: " + s.message());
  PlanHeader header2;
  std::vector<RankProgram> programs2;
  s = DecodePlan(first, &header2, &programs2);
  FUZZ_CHECK(s.ok(), "an encoded plan does not decode: " + s.message() + "\n" + first);
  std::string second;
  s = EncodePlan(programs2, header2, &second);
  FUZZ_CHECK(s.ok(), s.message());
  FUZZ_CHECK(first == second, "encode -> decode -> encode changed the text:\n" + first + "\n---\n" + second);

  size_t steps = 0, channels = 0;
  for (const RankProgram& p : programs) {
    channels += p.channels.size();
    for (const ChannelProgram& c : p.channels) steps += c.steps.size();
  }
  if (header.args.nranks <= kVerifyMaxRanks && steps <= kVerifyMaxSteps && channels <= kVerifyMaxChannels) {
    VerifyStats stats;
    Status v = VerifySchedule(header.args, programs, &stats);
    FUZZ_CHECK(v.ok() || !v.message().empty(), "a failed verification without a message");
  }
  return 0;
}
