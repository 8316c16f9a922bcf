// Fuzzes every decoder of bytes and text a bootstrap peer or launcher controls: the hello, the
// frame header and the address entry (bootstrap/wire.h), the binary unique id and its hex text
// (bootstrap/bootstrap.h), "host:port" splitting (launch_env.h) and numeric addresses (socket.h).
//
// Input: one selector byte (which decoder, modulo 7), then that decoder's bytes. Fixed-size
// decoders get the bytes zero-padded or cut to their size. Whatever decodes must encode back to
// exactly the bytes it came from: the formats have one spelling per value.
#include <cstdint>
#include <cstring>
#include <string>

#include "bootstrap/bootstrap.h"
#include "bootstrap/launch_env.h"
#include "bootstrap/socket.h"
#include "bootstrap/wire.h"
#include "fuzz_check.h"

namespace chorus {
namespace {

using bootstrap::SockAddr;

enum Selector : uint8_t { kHello, kFrameHeader, kWireAddr, kUniqueId, kUniqueIdText, kHostPort, kNumeric, kCount };

// `n` bytes of `data`, zero-padded.
template <size_t N>
void Fixed(const uint8_t* data, size_t size, uint8_t (&out)[N]) {
  memset(out, 0, N);
  memcpy(out, data, size < N ? size : N);
}

bool SameAddr(const SockAddr& a, const SockAddr& b) {
  return a.len == b.len && memcmp(&a.storage, &b.storage, a.len) == 0;
}

void FuzzHello(const uint8_t* data, size_t size) {
  uint8_t in[bootstrap::kHelloBytes];
  Fixed(data, size, in);
  bootstrap::Hello h;
  Status s = bootstrap::DecodeHello(in, &h);
  if (!s.ok()) {
    FUZZ_CHECK(s.code() == chorusRemoteError, s.message());
    return;
  }
  FUZZ_CHECK(h.kind == bootstrap::HelloKind::kJoin || h.kind == bootstrap::HelloKind::kP2p, "kind");
  if (h.kind == bootstrap::HelloKind::kJoin) {
    FUZZ_CHECK(h.listen.family() == AF_INET || h.listen.family() == AF_INET6, "join family");
    FUZZ_CHECK(h.listen.port() != 0, "join port");
    (void)h.listen.ToString();
  }
  uint8_t out[bootstrap::kHelloBytes];
  bootstrap::EncodeHello(h, out);
  FUZZ_CHECK(memcmp(in, out, sizeof(in)) == 0, "hello does not re-encode to its bytes");
}

void FuzzFrameHeader(const uint8_t* data, size_t size) {
  uint8_t in[bootstrap::kFrameHeaderBytes];
  Fixed(data, size, in);
  bootstrap::FrameHeader h;
  Status s = bootstrap::DecodeFrameHeader(in, &h);
  if (!s.ok()) {
    FUZZ_CHECK(s.code() == chorusRemoteError, s.message());
    return;
  }
  uint32_t kind = static_cast<uint32_t>(h.kind);
  FUZZ_CHECK(kind >= 1 && kind <= bootstrap::kMaxFrameKind, "kind");
  FUZZ_CHECK(h.length <= bootstrap::kMaxFrameBytes, "length");
  uint8_t out[bootstrap::kFrameHeaderBytes];
  bootstrap::EncodeFrameHeader(h, out);
  FUZZ_CHECK(memcmp(in, out, sizeof(in)) == 0, "frame header does not re-encode to its bytes");
}

void FuzzWireAddr(const uint8_t* data, size_t size) {
  uint8_t in[bootstrap::kWireAddrBytes];
  Fixed(data, size, in);
  SockAddr a;
  Status s = bootstrap::DecodeWireAddr(in, &a);
  if (!s.ok()) {
    FUZZ_CHECK(s.code() == chorusRemoteError, s.message());
    return;
  }
  uint8_t out[bootstrap::kWireAddrBytes];
  bootstrap::EncodeWireAddr(a, out);
  FUZZ_CHECK(memcmp(in, out, sizeof(in)) == 0, "address entry does not re-encode to its bytes");
  // The numeric text of the address parses back to the same address.
  SockAddr b;
  s = bootstrap::ParseNumericAddr(a.host(), a.port(), &b);
  FUZZ_CHECK(s.ok(), s.message());
  FUZZ_CHECK(SameAddr(a, b), "address text " + a.ToString() + " parses to " + b.ToString());
}

void FuzzUniqueId(const uint8_t* data, size_t size) {
  chorusUniqueId id;
  static_assert(sizeof(id.internal) == CHORUS_UNIQUE_ID_BYTES);
  memset(id.internal, 0, sizeof(id.internal));
  memcpy(id.internal, data, size < sizeof(id.internal) ? size : sizeof(id.internal));
  UniqueIdInfo info;
  Status s = DecodeUniqueId(id, &info);
  if (!s.ok()) {
    FUZZ_CHECK(s.code() == chorusInvalidArgument, s.message());
    return;
  }
  FUZZ_CHECK(info.port != 0, "port 0 decoded");
  chorusUniqueId again;
  s = EncodeUniqueId(info, &again);
  FUZZ_CHECK(s.ok(), "decoded id does not encode: " + s.message());
  FUZZ_CHECK(memcmp(id.internal, again.internal, sizeof(id.internal)) == 0,
             "unique id does not re-encode to its bytes (host " + info.host + ")");
  std::string text = UniqueIdToString(id);
  chorusUniqueId parsed;
  s = UniqueIdFromString(text, &parsed);
  FUZZ_CHECK(s.ok(), s.message());
  FUZZ_CHECK(memcmp(id.internal, parsed.internal, sizeof(id.internal)) == 0, "text round trip");
}

void FuzzUniqueIdText(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  chorusUniqueId id;
  Status s = UniqueIdFromString(text, &id);
  if (!s.ok()) {
    FUZZ_CHECK(s.code() == chorusInvalidArgument, s.message());
    return;
  }
  std::string lower = text;
  for (char& c : lower) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  FUZZ_CHECK(UniqueIdToString(id) == lower, "hex text does not re-encode to itself");
  FUZZ_CHECK(DecodeUniqueId(id, nullptr).ok(), "accepted text holds an invalid id");
}

void FuzzHostPort(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::string host;
  uint16_t port = 0;
  Status s = SplitHostPort(text, &host, &port);
  if (!s.ok()) {
    FUZZ_CHECK(s.code() == chorusInvalidArgument, s.message());
    return;
  }
  FUZZ_CHECK(!host.empty() && port != 0, "empty host or port 0 accepted");
  // Joining the parts again (brackets around a host with a colon or a leading bracket) splits
  // to the same parts.
  bool bracket = host.find(':') != std::string::npos || host[0] == '[';
  std::string joined = (bracket ? "[" + host + "]" : host) + ":" + std::to_string(port);
  std::string host2;
  uint16_t port2 = 0;
  s = SplitHostPort(joined, &host2, &port2);
  FUZZ_CHECK(s.ok(), joined + ": " + s.message());
  FUZZ_CHECK(host2 == host && port2 == port, "'" + joined + "' splits differently");
}

void FuzzNumeric(const uint8_t* data, size_t size) {
  if (size < 2) return;
  uint16_t port = static_cast<uint16_t>(data[0] | (data[1] << 8));
  std::string text(reinterpret_cast<const char*>(data + 2), size - 2);
  SockAddr a;
  Status s = bootstrap::ParseNumericAddr(text, port, &a);
  if (!s.ok()) {
    FUZZ_CHECK(s.code() == chorusInvalidArgument, s.message());
    return;
  }
  FUZZ_CHECK(a.family() == AF_INET || a.family() == AF_INET6, "family");
  FUZZ_CHECK(a.port() == port, "port");
  SockAddr b;
  s = bootstrap::ParseNumericAddr(a.host(), port, &b);
  FUZZ_CHECK(s.ok(), a.host() + ": " + s.message());
  FUZZ_CHECK(SameAddr(a, b), "'" + a.host() + "' parses to another address");
}

}  // namespace
}  // namespace chorus

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace chorus;
  if (size < 1) return 0;
  const uint8_t* p = data + 1;
  size_t n = size - 1;
  switch (data[0] % kCount) {
    case kHello: FuzzHello(p, n); break;
    case kFrameHeader: FuzzFrameHeader(p, n); break;
    case kWireAddr: FuzzWireAddr(p, n); break;
    case kUniqueId: FuzzUniqueId(p, n); break;
    case kUniqueIdText: FuzzUniqueIdText(p, n); break;
    case kHostPort: FuzzHostPort(p, n); break;
    default: FuzzNumeric(p, n); break;
  }
  return 0;
}
