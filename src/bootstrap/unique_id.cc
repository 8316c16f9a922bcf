// chorusUniqueId layout (128 bytes):
//   0..3   magic "CHID"         4  version (1)        5  family (4 or 6)
//   6..7   port (big-endian)    8..23  address (IPv4 in 8..11, rest zero)
//   24..39 secret               40..43 FNV-1a of bytes 0..39 (little-endian)
//   44..127 zero
// Decoding accepts exactly this and nothing else, so a truncated or corrupted id fails loudly at
// the rank that received it instead of sending it to a wrong address.
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "bootstrap/bootstrap.h"
#include "bootstrap/listen_registry.h"
#include "bootstrap/socket.h"
#include "core/log.h"

namespace chorus {

namespace {

constexpr uint8_t kIdMagic[4] = {'C', 'H', 'I', 'D'};
constexpr uint8_t kIdVersion = 1;
constexpr size_t kChecksumOff = 40;
constexpr size_t kUsedBytes = 44;

uint32_t Fnv1a(const uint8_t* p, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 16777619u;
  }
  return h;
}

Status RandomBytes(uint8_t* out, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = getrandom(out + got, n - got, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      return SystemError(ErrnoMessage("getrandom", errno));
    }
    got += static_cast<size_t>(r);
  }
  return Status::Ok();
}

}  // namespace

Status EncodeUniqueId(const UniqueIdInfo& info, chorusUniqueId* id) {
  if (id == nullptr) return InvalidArgument("EncodeUniqueId: id is NULL");
  if (info.port == 0) return InvalidArgument("unique id: port 0 is not a reachable root address");
  bootstrap::SockAddr addr;
  CHORUS_RETURN_IF_ERROR(bootstrap::ParseNumericAddr(info.host, info.port, &addr));
  uint8_t* b = reinterpret_cast<uint8_t*>(id->internal);
  memset(b, 0, CHORUS_UNIQUE_ID_BYTES);
  memcpy(b, kIdMagic, 4);
  b[4] = kIdVersion;
  b[6] = static_cast<uint8_t>(info.port >> 8);
  b[7] = static_cast<uint8_t>(info.port);
  if (addr.family() == AF_INET) {
    b[5] = 4;
    memcpy(b + 8, &reinterpret_cast<const sockaddr_in*>(&addr.storage)->sin_addr, 4);
  } else {
    b[5] = 6;
    memcpy(b + 8, &reinterpret_cast<const sockaddr_in6*>(&addr.storage)->sin6_addr, 16);
  }
  memcpy(b + 24, info.secret, 16);
  uint32_t sum = Fnv1a(b, kChecksumOff);
  for (int i = 0; i < 4; ++i) b[kChecksumOff + i] = static_cast<uint8_t>(sum >> (8 * i));
  return Status::Ok();
}

Status DecodeUniqueId(const chorusUniqueId& id, UniqueIdInfo* info) {
  const uint8_t* b = reinterpret_cast<const uint8_t*>(id.internal);
  if (memcmp(b, kIdMagic, 4) != 0) {
    return InvalidArgument("not a Chorus unique id (bad magic): was it produced by chorusGetUniqueId "
                           "and passed on intact?");
  }
  if (b[4] != kIdVersion) {
    return InvalidArgument("unique id version " + std::to_string(b[4]) + " is not supported (expected " +
                           std::to_string(kIdVersion) + ")");
  }
  uint32_t sum = 0;
  for (int i = 3; i >= 0; --i) sum = (sum << 8) | b[kChecksumOff + i];
  if (sum != Fnv1a(b, kChecksumOff)) return InvalidArgument("unique id is corrupted (checksum mismatch)");
  for (size_t i = kUsedBytes; i < CHORUS_UNIQUE_ID_BYTES; ++i) {
    if (b[i] != 0) return InvalidArgument("unique id is corrupted (padding byte " + std::to_string(i) + " set)");
  }
  uint16_t port = static_cast<uint16_t>((b[6] << 8) | b[7]);
  if (port == 0) return InvalidArgument("unique id is corrupted (port 0)");
  bootstrap::SockAddr addr;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr.storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr.storage);
  if (b[5] == 4) {
    for (int i = 12; i < 24; ++i) {
      if (b[i] != 0) return InvalidArgument("unique id is corrupted (IPv4 padding set)");
    }
    v4->sin_family = AF_INET;
    memcpy(&v4->sin_addr, b + 8, 4);
    addr.len = sizeof(sockaddr_in);
  } else if (b[5] == 6) {
    v6->sin6_family = AF_INET6;
    memcpy(&v6->sin6_addr, b + 8, 16);
    addr.len = sizeof(sockaddr_in6);
  } else {
    return InvalidArgument("unique id is corrupted (address family " + std::to_string(b[5]) + ")");
  }
  if (info != nullptr) {
    info->host = addr.host();
    info->port = port;
    memcpy(info->secret, b + 24, 16);
  }
  return Status::Ok();
}

Status NewUniqueId(chorusUniqueId* id) {
  if (id == nullptr) return InvalidArgument("NewUniqueId: id is NULL");
  bootstrap::SockAddr addr;
  CHORUS_RETURN_IF_ERROR(bootstrap::ChooseRootAddress(&addr));
  int fd = -1;
  bootstrap::SockAddr bound;
  CHORUS_RETURN_IF_ERROR(bootstrap::Listen(addr, /*reuse_addr=*/false, &fd, &bound));
  UniqueIdInfo info;
  info.host = bound.host();
  info.port = bound.port();
  Status s = RandomBytes(info.secret, sizeof(info.secret));
  if (s.ok()) s = EncodeUniqueId(info, id);
  if (!s.ok()) {
    close(fd);
    return s;
  }
  bootstrap::RegisterListenFd(*id, fd);
  CHORUS_INFO(kBootstrap, "new unique id: root listens on %s", bound.ToString().c_str());
  return Status::Ok();
}

void ReleaseUniqueId(const chorusUniqueId& id) {
  int fd = bootstrap::TakeListenFd(id);
  if (fd >= 0) close(fd);
}

std::string UniqueIdToString(const chorusUniqueId& id) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * CHORUS_UNIQUE_ID_BYTES);
  for (size_t i = 0; i < CHORUS_UNIQUE_ID_BYTES; ++i) {
    uint8_t v = static_cast<uint8_t>(id.internal[i]);
    out.push_back(kHex[v >> 4]);
    out.push_back(kHex[v & 15]);
  }
  return out;
}

Status UniqueIdFromString(const std::string& text, chorusUniqueId* id) {
  if (id == nullptr) return InvalidArgument("UniqueIdFromString: id is NULL");
  if (text.size() != 2 * CHORUS_UNIQUE_ID_BYTES) {
    return InvalidArgument("unique id text has " + std::to_string(text.size()) + " characters, expected " +
                           std::to_string(2 * CHORUS_UNIQUE_ID_BYTES) + " hex digits");
  }
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  chorusUniqueId tmp;
  for (size_t i = 0; i < CHORUS_UNIQUE_ID_BYTES; ++i) {
    int hi = nibble(text[2 * i]);
    int lo = nibble(text[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return InvalidArgument("unique id text has a non-hex character at position " +
                             std::to_string(hi < 0 ? 2 * i : 2 * i + 1));
    }
    tmp.internal[i] = static_cast<char>((hi << 4) | lo);
  }
  CHORUS_RETURN_IF_ERROR(DecodeUniqueId(tmp, nullptr));
  *id = tmp;
  return Status::Ok();
}

}  // namespace chorus
