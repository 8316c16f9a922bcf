// Fuzzes the bootstrap's frame reader (bootstrap/connection.h): the byte stream a peer sends
// after its hello, cut into frames by Connection::ReadAvailable, over a real socket pair.
//
// Input: byte 0 is the set of frame kinds the connection allows (bit k: kind k); byte 1 is the
// size of the pieces the stream is written in (0: all at once), so that headers and payloads
// arrive split at every possible place; the rest is the stream. The frames that arrive must be
// exactly the complete, well-formed frames at the head of the stream, and the connection must
// close at the first malformed header or at a frame cut short.
//
// A header may claim up to kMaxFrameBytes (1 GiB) and the reader allocates the claimed payload
// before it arrives; the stream ends in front of any header claiming more than 64 KiB so that
// the fuzzer does not spend its time zero-filling gigabytes (see docs/fuzzing.md).
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "bootstrap/connection.h"
#include "bootstrap/wire.h"
#include "fuzz_check.h"

namespace chorus::bootstrap {
namespace {

constexpr uint64_t kMaxFuzzPayload = 64 * 1024;
constexpr size_t kMaxStream = 128 * 1024;  // well below a socket pair's buffer

struct Expected {
  std::vector<Frame> frames;  // the complete, valid frames at the head of the stream
  bool clean_end = false;     // the stream ends exactly after the last of them
  size_t cut = 0;             // stream bytes to send (in front of an oversized claim)
};

// What the reader must produce, from the wire format's rules (wire.h, connection.h).
Expected Predict(const uint8_t* s, size_t n, uint32_t allowed) {
  Expected e;
  size_t at = 0;
  e.cut = n;
  while (true) {
    if (at == n) {
      e.clean_end = true;
      return e;
    }
    if (n - at < kFrameHeaderBytes) return e;
    FrameHeader h;
    if (!DecodeFrameHeader(s + at, &h).ok()) return e;
    if (h.length > kMaxFuzzPayload) {
      e.cut = at;  // the stream ends cleanly in front of the claim
      e.clean_end = true;
      return e;
    }
    if ((allowed & (1u << static_cast<uint32_t>(h.kind))) == 0) return e;
    if (h.kind == FrameKind::kError && h.length > kMaxErrorTextBytes) return e;
    if (n - at - kFrameHeaderBytes < h.length) return e;
    Frame f;
    f.kind = h.kind;
    f.tag = h.tag;
    f.data.assign(s + at + kFrameHeaderBytes, s + at + kFrameHeaderBytes + h.length);
    e.frames.push_back(std::move(f));
    at += kFrameHeaderBytes + h.length;
  }
}

}  // namespace
}  // namespace chorus::bootstrap

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace chorus::bootstrap;
  if (size < 2 || size - 2 > kMaxStream) return 0;
  const uint32_t allowed = data[0];
  const size_t piece = data[1] == 0 ? size : data[1];
  const uint8_t* stream = data + 2;
  Expected want = Predict(stream, size - 2, allowed);

  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) return 0;
  Connection reader(fds[0], /*peer=*/1, allowed);
  Connection writer(fds[1], /*peer=*/0, 0);
  size_t sent = 0;
  // Bounded: every round either sends a piece or finds the reader closed.
  for (size_t round = 0; sent < want.cut && !reader.closed() && round < want.cut + 8; ++round) {
    size_t n = std::min(piece, want.cut - sent);
    writer.QueueBytes(stream + sent, n);
    sent += n;
    writer.Flush();
    reader.ReadAvailable();
  }
  writer.Flush();
  FUZZ_CHECK(!writer.HasPendingOutput() || reader.closed(), "socket pair did not take the stream");
  writer.Close("");
  for (size_t round = 0; !reader.closed() && round < size + 8; ++round) reader.ReadAvailable();
  FUZZ_CHECK(reader.closed(), "reader still open after the end of the stream");

  const auto& got = reader.queue();
  FUZZ_CHECK(got.size() == want.frames.size(),
             "got " + std::to_string(got.size()) + " frames, expected " + std::to_string(want.frames.size()));
  for (size_t i = 0; i < got.size(); ++i) {
    const Frame& g = got[i];
    const Frame& w = want.frames[i];
    FUZZ_CHECK(g.kind == w.kind && g.tag == w.tag && g.data == w.data, "frame " + std::to_string(i) + " differs");
  }
  if (want.clean_end) {
    FUZZ_CHECK(reader.close_reason().empty(), "clean end reported as: " + reader.close_reason());
  } else {
    FUZZ_CHECK(!reader.close_reason().empty(), "a malformed or cut stream closed without a reason");
  }
  return 0;
}
