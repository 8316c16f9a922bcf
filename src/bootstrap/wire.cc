#include "bootstrap/wire.h"

#include <netinet/in.h>

#include <cstring>
#include <string>

namespace chorus::bootstrap {

namespace {

void Put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
void Put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void Put64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint16_t Get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t Get32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
uint64_t Get64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

bool AllZero(const uint8_t* p, size_t n) {
  uint8_t acc = 0;
  for (size_t i = 0; i < n; ++i) acc |= p[i];
  return acc == 0;
}

// Hello layout: magic(4) version(2) kind(2) rank(4) nranks(4) secret(16) listen(20) reserved(12).
constexpr size_t kHelloSecretOff = 16;
constexpr size_t kHelloAddrOff = 32;
constexpr size_t kHelloReservedOff = kHelloAddrOff + kWireAddrBytes;

}  // namespace

void EncodeWireAddr(const SockAddr& addr, uint8_t out[kWireAddrBytes]) {
  memset(out, 0, kWireAddrBytes);
  if (addr.family() == AF_INET) {
    out[0] = 4;
    memcpy(out + 4, &reinterpret_cast<const sockaddr_in*>(&addr.storage)->sin_addr, 4);
  } else if (addr.family() == AF_INET6) {
    out[0] = 6;
    memcpy(out + 4, &reinterpret_cast<const sockaddr_in6*>(&addr.storage)->sin6_addr, 16);
  }
  Put16(out + 2, addr.port());
}

Status DecodeWireAddr(const uint8_t in[kWireAddrBytes], SockAddr* addr) {
  *addr = SockAddr();
  if (in[1] != 0) return RemoteError("malformed address entry (reserved byte set)");
  uint16_t port = Get16(in + 2);
  if (port == 0) return RemoteError("malformed address entry (port 0)");
  if (in[0] == 4) {
    if (!AllZero(in + 8, 12)) return RemoteError("malformed IPv4 address entry (padding set)");
    auto* v4 = reinterpret_cast<sockaddr_in*>(&addr->storage);
    v4->sin_family = AF_INET;
    memcpy(&v4->sin_addr, in + 4, 4);
    addr->len = sizeof(sockaddr_in);
  } else if (in[0] == 6) {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr->storage);
    v6->sin6_family = AF_INET6;
    memcpy(&v6->sin6_addr, in + 4, 16);
    addr->len = sizeof(sockaddr_in6);
  } else {
    return RemoteError("malformed address entry (family " + std::to_string(in[0]) + ")");
  }
  addr->set_port(port);
  return Status::Ok();
}

void EncodeHello(const Hello& hello, uint8_t out[kHelloBytes]) {
  memset(out, 0, kHelloBytes);
  Put32(out, kHelloMagic);
  Put16(out + 4, kProtocolVersion);
  Put16(out + 6, static_cast<uint16_t>(hello.kind));
  Put32(out + 8, static_cast<uint32_t>(hello.rank));
  Put32(out + 12, static_cast<uint32_t>(hello.nranks));
  memcpy(out + kHelloSecretOff, hello.secret, 16);
  if (hello.kind == HelloKind::kJoin) EncodeWireAddr(hello.listen, out + kHelloAddrOff);
}

Status DecodeHello(const uint8_t in[kHelloBytes], Hello* hello) {
  *hello = Hello();
  if (Get32(in) != kHelloMagic) return RemoteError("not a Chorus bootstrap hello (bad magic)");
  uint16_t version = Get16(in + 4);
  if (version != kProtocolVersion) {
    return RemoteError("bootstrap protocol version " + std::to_string(version) + ", expected " +
                       std::to_string(kProtocolVersion));
  }
  uint16_t kind = Get16(in + 6);
  if (kind != static_cast<uint16_t>(HelloKind::kJoin) && kind != static_cast<uint16_t>(HelloKind::kP2p)) {
    return RemoteError("unknown hello kind " + std::to_string(kind));
  }
  if (!AllZero(in + kHelloReservedOff, kHelloBytes - kHelloReservedOff)) {
    return RemoteError("malformed hello (reserved bytes set)");
  }
  hello->kind = static_cast<HelloKind>(kind);
  hello->rank = static_cast<int32_t>(Get32(in + 8));
  hello->nranks = static_cast<int32_t>(Get32(in + 12));
  memcpy(hello->secret, in + kHelloSecretOff, 16);
  if (hello->kind == HelloKind::kJoin) {
    Status s = DecodeWireAddr(in + kHelloAddrOff, &hello->listen);
    if (!s.ok()) return RemoteError("malformed hello: " + s.message());
  } else if (!AllZero(in + kHelloAddrOff, kWireAddrBytes)) {
    return RemoteError("malformed point-to-point hello (address bytes set)");
  }
  return Status::Ok();
}

void EncodeFrameHeader(const FrameHeader& h, uint8_t out[kFrameHeaderBytes]) {
  Put32(out, static_cast<uint32_t>(h.kind));
  Put32(out + 4, h.tag);
  Put64(out + 8, h.length);
}

Status DecodeFrameHeader(const uint8_t in[kFrameHeaderBytes], FrameHeader* h) {
  uint32_t kind = Get32(in);
  if (kind == 0 || kind > kMaxFrameKind) return RemoteError("unknown frame kind " + std::to_string(kind));
  h->kind = static_cast<FrameKind>(kind);
  h->tag = Get32(in + 4);
  h->length = Get64(in + 8);
  if (h->length > kMaxFrameBytes) {
    return RemoteError("frame claims " + std::to_string(h->length) + " bytes (limit " +
                       std::to_string(kMaxFrameBytes) + ")");
  }
  return Status::Ok();
}

bool SecretsEqual(const uint8_t a[16], const uint8_t b[16]) {
  volatile uint8_t diff = 0;
  for (int i = 0; i < 16; ++i) diff = static_cast<uint8_t>(diff | (a[i] ^ b[i]));
  return diff == 0;
}

}  // namespace chorus::bootstrap
