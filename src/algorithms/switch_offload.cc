// Switch-offload all-reduce (NVLink SHARP / in-network reduction): every rank hands its input to
// the switch, which reduces all ranks' contributions and multicasts the result back (one
// kSwitchReduce per chunk). About one transfer of the data each way per rank and no reduction
// work on the endpoints. Only applies when args.has_reducing_switch says the path has such a
// switch; the shared-memory transport has none, so this schedule is verified, not executed, there.
#include "algorithms/emit.h"
#include "algorithms/registry.h"

namespace chorus::sched {
namespace {

bool Applies(const CollArgs& a) {
  return a.coll == Collective::kAllReduce && a.has_reducing_switch;
}

Status Generate(const CollArgs& a, Rank r, RankProgram* out) {
  auto channel = [&](Emitter& e, Range part, Count) {
    Slice in = In(part.offset, part.count), o = Out(part.offset, part.count);
    if (a.nranks == 1) {
      e.Copy(in, o, /*finalize=*/true);
    } else {
      e.SwitchReduce(in, o, /*finalize=*/true);
    }
    return Count{0};
  };
  return GeneratePerChannel(a, r, out, "switch_offload", Applies, channel,
                            "needs all-reduce and a reducing switch");
}

}  // namespace

CHORUS_REGISTER_ALGORITHM(switch_offload, "switch_offload", Applies, Generate);

}  // namespace chorus::sched
