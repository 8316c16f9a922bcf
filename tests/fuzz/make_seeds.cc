// Writes the generated part of the seed corpora: valid inputs made by the encoders of each
// format, and a few broken ones, one file each, into DIR/<target>/ (DIR is normally
// tests/fuzz/corpus). Regenerate after a format changes:
//   ninja -C build chorus_fuzz_seeds && build/bin/chorus_fuzz_seeds tests/fuzz/corpus
// Seeds found by fuzzing and kept on purpose live next to these under other names.
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "algorithms/plan_codec.h"
#include "algorithms/registry.h"
#include "algorithms/verifier.h"
#include "bootstrap/bootstrap.h"
#include "bootstrap/socket.h"
#include "bootstrap/wire.h"
#include "topology/machines.h"
#include "topology/xml.h"

namespace chorus {
namespace {

namespace fs = std::filesystem;
using ByteVec = std::vector<uint8_t>;

fs::path g_root;
int g_written = 0;

void Write(const std::string& target, const std::string& name, const ByteVec& b) {
  fs::path dir = g_root / target;
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", (dir / name).c_str());
    std::exit(1);
  }
  ++g_written;
}
void Write(const std::string& target, const std::string& name, const std::string& s) {
  Write(target, name, ByteVec(s.begin(), s.end()));
}

void Check(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.message().c_str());
    std::exit(1);
  }
}

bootstrap::SockAddr Addr(const char* host, uint16_t port) {
  bootstrap::SockAddr a;
  Check(bootstrap::ParseNumericAddr(host, port, &a), host);
  return a;
}

// ---- bootstrap_wire: selector byte, then the decoder's bytes ----
ByteVec Sel(uint8_t selector, const uint8_t* p, size_t n) {
  ByteVec b{selector};
  b.insert(b.end(), p, p + n);
  return b;
}
ByteVec Sel(uint8_t selector, const std::string& s) {
  return Sel(selector, reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

void WireSeeds() {
  const std::string t = "bootstrap_wire";
  const uint8_t secret[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  bootstrap::Hello h;
  h.kind = bootstrap::HelloKind::kJoin;
  h.rank = 3;
  h.nranks = 8;
  memcpy(h.secret, secret, 16);
  h.listen = Addr("10.0.0.1", 29500);
  uint8_t hello[bootstrap::kHelloBytes];
  bootstrap::EncodeHello(h, hello);
  Write(t, "hello-join-v4", Sel(0, hello, sizeof(hello)));
  h.listen = Addr("::1", 1234);
  bootstrap::EncodeHello(h, hello);
  Write(t, "hello-join-v6", Sel(0, hello, sizeof(hello)));
  h.kind = bootstrap::HelloKind::kP2p;
  bootstrap::EncodeHello(h, hello);
  Write(t, "hello-p2p", Sel(0, hello, sizeof(hello)));
  hello[0] ^= 0xff;
  Write(t, "broken-hello-magic", Sel(0, hello, sizeof(hello)));

  uint8_t frame[bootstrap::kFrameHeaderBytes];
  bootstrap::EncodeFrameHeader({bootstrap::FrameKind::kTable, 0, 160}, frame);
  Write(t, "frame-table", Sel(1, frame, sizeof(frame)));
  bootstrap::EncodeFrameHeader({bootstrap::FrameKind::kColl, (3u << 28) | 17, 4096}, frame);
  Write(t, "frame-coll", Sel(1, frame, sizeof(frame)));
  bootstrap::EncodeFrameHeader({bootstrap::FrameKind::kP2p, 7, bootstrap::kMaxFrameBytes + 1}, frame);
  Write(t, "broken-frame-length", Sel(1, frame, sizeof(frame)));

  uint8_t addr[bootstrap::kWireAddrBytes];
  bootstrap::EncodeWireAddr(Addr("192.168.7.9", 40000), addr);
  Write(t, "addr-v4", Sel(2, addr, sizeof(addr)));
  bootstrap::EncodeWireAddr(Addr("2001:db8::42", 443), addr);
  Write(t, "addr-v6", Sel(2, addr, sizeof(addr)));
  addr[0] = 5;
  Write(t, "broken-addr-family", Sel(2, addr, sizeof(addr)));

  UniqueIdInfo info;
  info.host = "127.0.0.1";
  info.port = 29500;
  memcpy(info.secret, secret, 16);
  chorusUniqueId id;
  Check(EncodeUniqueId(info, &id), "unique id");
  const uint8_t* idb = reinterpret_cast<const uint8_t*>(id.internal);
  Write(t, "uid-v4", Sel(3, idb, sizeof(id.internal)));
  std::string text = UniqueIdToString(id);
  Write(t, "uid-text", Sel(4, text));
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  Write(t, "uid-text-upper", Sel(4, text));
  text[10] = 'g';
  Write(t, "broken-uid-text", Sel(4, text));
  info.host = "fe80::1";
  Check(EncodeUniqueId(info, &id), "unique id v6");
  Write(t, "uid-v6", Sel(3, idb, sizeof(id.internal)));
  id.internal[41] ^= 1;
  Write(t, "broken-uid-checksum", Sel(3, idb, sizeof(id.internal)));

  Write(t, "hostport-v4", Sel(5, "127.0.0.1:29500"));
  Write(t, "hostport-v6", Sel(5, "[::1]:8080"));
  Write(t, "hostport-name", Sel(5, "node-17.cluster:1"));
  Write(t, "broken-hostport", Sel(5, "a:b:c"));
  Write(t, "numeric-v4", Sel(6, std::string("\x39\x30", 2) + "192.168.1.20"));
  Write(t, "numeric-v6", Sel(6, std::string("\x01\x00", 2) + "::ffff:10.1.2.3"));
  Write(t, "broken-numeric", Sel(6, std::string("\x01\x00", 2) + "1.2.3"));
}

// ---- bootstrap_stream: allowed-kinds byte, piece-size byte, stream ----
void AppendFrame(ByteVec* s, bootstrap::FrameKind kind, uint32_t tag, const std::string& payload) {
  uint8_t h[bootstrap::kFrameHeaderBytes];
  bootstrap::EncodeFrameHeader({kind, tag, payload.size()}, h);
  s->insert(s->end(), h, h + sizeof(h));
  s->insert(s->end(), payload.begin(), payload.end());
}

void StreamSeeds() {
  const std::string t = "bootstrap_stream";
  using bootstrap::FrameKind;
  const uint8_t all = 0x3e;  // kinds 1..5
  uint8_t a[2 * bootstrap::kWireAddrBytes];
  bootstrap::EncodeWireAddr(Addr("10.0.0.1", 29500), a);
  bootstrap::EncodeWireAddr(Addr("10.0.0.2", 29501), a + bootstrap::kWireAddrBytes);
  std::string table(reinterpret_cast<const char*>(a), sizeof(a));
  ByteVec frames;
  AppendFrame(&frames, FrameKind::kTable, 0, table);
  AppendFrame(&frames, FrameKind::kColl, (1u << 28) | 1, std::string(8, '\x11'));
  AppendFrame(&frames, FrameKind::kP2p, 42, "");
  AppendFrame(&frames, FrameKind::kLeft, 3, "");
  for (uint8_t piece : {0, 1, 7}) {
    ByteVec s{all, piece};
    s.insert(s.end(), frames.begin(), frames.end());
    Write(t, "frames-piece" + std::to_string(piece), s);
  }
  ByteVec err{all, 5};
  AppendFrame(&err, FrameKind::kError, 0, "rank 2: all-gather sizes differ");
  Write(t, "error-frame", err);

  ByteVec s{static_cast<uint8_t>(1u << 1), 0};  // only tables allowed
  s.insert(s.end(), frames.begin(), frames.end());
  Write(t, "broken-kind-not-allowed", s);
  s = {all, 3};
  s.insert(s.end(), frames.begin(), frames.end() - 10);
  Write(t, "broken-cut-short", s);
  s = {all, 0};
  AppendFrame(&s, FrameKind::kError, 0, std::string(bootstrap::kMaxErrorTextBytes + 1, 'e'));
  s.resize(2 + bootstrap::kFrameHeaderBytes + 16);  // the header's claim is what matters
  Write(t, "broken-error-too-long", s);
  s = {all, 0};
  AppendFrame(&s, static_cast<FrameKind>(9), 0, "x");
  Write(t, "broken-unknown-kind", s);
}

// ---- topology_xml ----
void TopologySeeds() {
  const std::string t = "topology_xml";
  struct M {
    const char* name;
    topo::Graph (*make)();
  };
  const M machines[] = {{"cpu-2socket", topo::MakeCpu2Socket},
                        {"pcie-8gpu-2socket", topo::MakePcie8Gpu2Socket},
                        {"mi300x-8", topo::MakeMi300x8},
                        {"dgx-h100", topo::MakeDgxH100}};
  std::string small;
  for (const M& m : machines) {
    std::string xml = topo::ToXml(m.make());
    if (small.empty()) small = xml;
    Write(t, std::string(m.name) + ".xml", xml);
  }
  Write(t, "broken-truncated.xml", small.substr(0, small.size() / 2));
  std::string s = small;
  s.replace(s.find("<node "), 6, "<node bandwith=\"1\" ");
  Write(t, "broken-unknown-attribute.xml", s);
  s = small;
  size_t link = s.find("<link a=\"");
  if (link != std::string::npos) s.insert(link + 9, "missing");
  Write(t, "broken-missing-node.xml", s);
}

// ---- plan_decode ----
std::string EncodeGenerated(const char* algorithm, const sched::CollArgs& args) {
  const sched::Algorithm* algo = sched::FindAlgorithm(algorithm);
  if (algo == nullptr || !algo->applies(args)) {
    std::fprintf(stderr, "%s does not apply\n", algorithm);
    std::exit(1);
  }
  Check(sched::VerifyAlgorithm(*algo, args), algorithm);
  std::vector<sched::RankProgram> programs(static_cast<size_t>(args.nranks));
  for (Rank r = 0; r < args.nranks; ++r) Check(algo->generate(sched::ArgsForRank(args, r), r, &programs[r]), algorithm);
  std::string text;
  Check(sched::EncodePlan(programs, {algorithm, args}, &text), "encode plan");
  return text;
}

void PlanSeeds() {
  const std::string t = "plan_decode";
  sched::CollArgs a;
  a.coll = Collective::kAllReduce;
  a.nranks = 3;
  a.count = 10;
  const std::string ring = EncodeGenerated("ring", a);
  Write(t, "ring-allreduce-3.plan", ring);
  a.coll = Collective::kReduceScatter;
  a.nranks = 2;
  a.count = 6;
  a.chunk_bytes = 8;
  a.in_place = true;
  Write(t, "ring-reducescatter-2-chunked-inplace.plan", EncodeGenerated("ring", a));
  a = sched::CollArgs();
  a.coll = Collective::kBroadcast;
  a.nranks = 4;
  a.count = 5;
  a.root = 1;
  a.channels = 2;
  Write(t, "chain-broadcast-4-2ch.plan", EncodeGenerated("chain", a));
  a.coll = Collective::kReduce;
  a.op = ReduceOp::kAvg;
  a.channels = 1;
  Write(t, "chain-reduce-4-avg.plan", EncodeGenerated("chain", a));
  a = sched::CollArgs();
  a.coll = Collective::kAllToAll;
  a.nranks = 3;
  a.count = 2;
  Write(t, "pairwise-alltoall-3.plan", EncodeGenerated("pairwise", a));
  a = sched::CollArgs();
  a.nranks = 4;
  a.count = 8;
  a.ranks_per_node = 2;
  Write(t, "hierarchical-allreduce-2x2.plan", EncodeGenerated("hierarchical", a));
  a.ranks_per_node = 0;
  a.nranks = 3;
  a.has_reducing_switch = true;
  a.op = ReduceOp::kAvg;
  Write(t, "switch-offload-allreduce-3.plan", EncodeGenerated("switch_offload", a));

  Write(t, "broken-truncated.plan", ring.substr(0, ring.size() * 2 / 3));
  std::string s = ring;
  s.replace(s.find("peer=1"), 6, "peer=9");
  Write(t, "broken-peer-range.plan", s);
  // Well-formed but wrong: rank 0 never sends its first block, so the ring deadlocks.
  s = ring;
  size_t send = s.find("rank 0 channel 0: send ");
  s.erase(send, s.find('\n', send) + 1 - send);
  Write(t, "verifier-deadlock.plan", s);
}

}  // namespace
}  // namespace chorus

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR (normally tests/fuzz/corpus)\n", argv[0]);
    return 2;
  }
  chorus::g_root = argv[1];
  chorus::WireSeeds();
  chorus::StreamSeeds();
  chorus::TopologySeeds();
  chorus::PlanSeeds();
  std::printf("wrote %d seed files under %s\n", chorus::g_written, argv[1]);
  return 0;
}
