// The bootstrap's bytes on the wire: the fixed-size hello every connection starts with, the frame
// header in front of every later message, and the address entries of the rank table. All integers
// are little-endian. Decoders check every field; nothing read from a socket is trusted.
#pragma once

#include <cstddef>
#include <cstdint>

#include "bootstrap/socket.h"
#include "core/status.h"

namespace chorus::bootstrap {

constexpr uint32_t kHelloMagic = 0x4f524843u;  // "CHRO"
constexpr uint16_t kProtocolVersion = 1;

// An endpoint as it travels: family (4 or 6), port, 16 address bytes (IPv4 uses the first 4).
constexpr size_t kWireAddrBytes = 20;
void EncodeWireAddr(const SockAddr& addr, uint8_t out[kWireAddrBytes]);
Status DecodeWireAddr(const uint8_t in[kWireAddrBytes], SockAddr* addr);

enum class HelloKind : uint16_t {
  kJoin = 1,  // a rank joining the star at the root
  kP2p = 2,   // the sender's end of a direct point-to-point connection
};

constexpr size_t kHelloBytes = 64;
struct Hello {
  HelloKind kind = HelloKind::kJoin;
  int32_t rank = -1;
  int32_t nranks = 0;
  uint8_t secret[16] = {};
  SockAddr listen;  // the sender's listening address (kJoin); unused for kP2p
};
void EncodeHello(const Hello& hello, uint8_t out[kHelloBytes]);
// Checks magic, version, kind and the reserved bytes; the secret and ranks are the caller's to check.
Status DecodeHello(const uint8_t in[kHelloBytes], Hello* hello);

enum class FrameKind : uint32_t {
  kTable = 1,  // root -> rank: every rank's listening address (nranks * kWireAddrBytes)
  kColl = 2,   // a star collective's contribution or result; tag = opcode << 28 | sequence
  kP2p = 3,    // a point-to-point message; tag = the user's tag
  kError = 4,  // root -> rank: the collective failed; payload is the reason (text)
  kLeft = 5,   // root -> rank: rank <tag> closed its connection to the root
};
constexpr uint32_t kMaxFrameKind = 5;

constexpr size_t kFrameHeaderBytes = 16;
// Largest payload a frame may claim (the bootstrap carries setup blobs, not bulk data).
constexpr uint64_t kMaxFrameBytes = uint64_t{1} << 30;
constexpr uint64_t kMaxErrorTextBytes = 4096;

struct FrameHeader {
  FrameKind kind = FrameKind::kP2p;
  uint32_t tag = 0;
  uint64_t length = 0;
};
void EncodeFrameHeader(const FrameHeader& h, uint8_t out[kFrameHeaderBytes]);
// Checks the kind and that the length is within kMaxFrameBytes.
Status DecodeFrameHeader(const uint8_t in[kFrameHeaderBytes], FrameHeader* h);

// Compares secrets in time that does not depend on where they differ.
bool SecretsEqual(const uint8_t a[16], const uint8_t b[16]);

}  // namespace chorus::bootstrap
