#include "bootstrap/launch_env.h"

#include <netdb.h>
#include <sys/socket.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "bootstrap/bootstrap.h"
#include "bootstrap/sha256.h"
#include "bootstrap/socket.h"
#include "core/env.h"
#include "core/log.h"

namespace chorus {

namespace {

// Strict decimal: the whole string, no sign games, within [lo, hi].
bool ParseInt(const std::string& s, long lo, long hi, long* out) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  long v = strtol(s.c_str(), &end, 10);
  if (errno != 0 || end == s.c_str() || *end != 0 || v < lo || v > hi) return false;
  *out = v;
  return true;
}

struct VarPair {
  const char* rank;
  const char* size;
};

constexpr VarPair kWorldVars[] = {
    {"CHORUS_RANK", "CHORUS_WORLD_SIZE"},
    {"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"},
    {"PMI_RANK", "PMI_SIZE"},
    {"SLURM_PROCID", "SLURM_NTASKS"},
};
constexpr VarPair kLocalVars[] = {
    {"CHORUS_LOCAL_RANK", "CHORUS_LOCAL_SIZE"},
    {"OMPI_COMM_WORLD_LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_SIZE"},
    {"MPI_LOCALRANKID", "MPI_LOCALNRANKS"},
    {"SLURM_LOCALID", nullptr},  // Slurm's per-node task count has a compressed syntax: not read
};

Status ReadPair(const VarPair& v, long* rank, long* size, bool* found) {
  std::string r = EnvString(v.rank);
  std::string s = v.size != nullptr ? EnvString(v.size) : std::string();
  *found = false;
  if (r.empty() && s.empty()) return Status::Ok();
  if (r.empty()) return InvalidUsage(std::string(v.size) + " is set but " + v.rank + " is not");
  if (!ParseInt(r, 0, INT_MAX - 1, rank)) {
    return InvalidArgument(std::string(v.rank) + "='" + r + "' is not a non-negative integer");
  }
  *size = 0;
  if (v.size != nullptr) {
    if (s.empty()) return InvalidUsage(std::string(v.rank) + " is set but " + v.size + " is not");
    if (!ParseInt(s, 1, INT_MAX, size)) {
      return InvalidArgument(std::string(v.size) + "='" + s + "' is not a positive integer");
    }
    if (*rank >= *size) {
      return InvalidArgument(std::string(v.rank) + "=" + r + " is not below " + v.size + "=" + s);
    }
  }
  *found = true;
  return Status::Ok();
}

}  // namespace

Status ReadLaunchInfo(LaunchInfo* out) {
  if (out == nullptr) return InvalidArgument("ReadLaunchInfo: out is NULL");
  *out = LaunchInfo();
  bool found = false;
  for (const VarPair& v : kWorldVars) {
    long rank = 0, size = 0;
    CHORUS_RETURN_IF_ERROR(ReadPair(v, &rank, &size, &found));
    if (found) {
      out->rank = static_cast<Rank>(rank);
      out->world_size = static_cast<int>(size);
      out->source = std::string(v.rank) + "/" + v.size;
      break;
    }
  }
  if (!found) {
    return InvalidUsage("no rank in the environment: set CHORUS_RANK and CHORUS_WORLD_SIZE, or launch with "
                        "chorus-run, mpirun (Open MPI), a PMI launcher or srun");
  }
  for (const VarPair& v : kLocalVars) {
    long rank = 0, size = 0;
    bool local_found = false;
    // A malformed local rank is not fatal (it only guides device choice): log it and go on.
    Status s = ReadPair(v, &rank, &size, &local_found);
    if (!s.ok()) {
      CHORUS_WARN(kInit, "ignoring the local rank: %s", s.message().c_str());
      break;
    }
    if (local_found) {
      out->local_rank = static_cast<Rank>(rank);
      out->local_size = static_cast<int>(size);
      break;
    }
  }
  return Status::Ok();
}

Status SplitHostPort(const std::string& text, std::string* host, uint16_t* port) {
  std::string h, p;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return InvalidArgument("'" + text + "' is not of the form [ipv6]:port");
    }
    h = text.substr(1, close - 1);
    p = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string::npos || text.find(':') != colon) {
      return InvalidArgument("'" + text + "' is not of the form host:port (write IPv6 as [addr]:port)");
    }
    h = text.substr(0, colon);
    p = text.substr(colon + 1);
  }
  long v = 0;
  if (h.empty()) return InvalidArgument("'" + text + "' has no host");
  if (!ParseInt(p, 1, 65535, &v)) return InvalidArgument("'" + text + "' has no valid port (1..65535)");
  *host = h;
  *port = static_cast<uint16_t>(v);
  return Status::Ok();
}

Status UniqueIdFromAddress(const std::string& root_addr, const char* secret, chorusUniqueId* id) {
  if (id == nullptr) return InvalidArgument("UniqueIdFromAddress: id is NULL");
  UniqueIdInfo info;
  std::string host;
  CHORUS_RETURN_IF_ERROR(SplitHostPort(root_addr, &host, &info.port));
  bootstrap::SockAddr numeric;
  if (bootstrap::ParseNumericAddr(host, info.port, &numeric).ok()) {
    info.host = numeric.host();
  } else {
    addrinfo hints = {};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
    if (rc != 0 || res == nullptr) {
      return InvalidArgument("cannot resolve the root host '" + host + "': " + gai_strerror(rc));
    }
    const addrinfo* pick = res;
    for (const addrinfo* a = res; a != nullptr; a = a->ai_next) {
      if (a->ai_family == AF_INET) {
        pick = a;
        break;
      }
    }
    bootstrap::SockAddr sa;
    memcpy(&sa.storage, pick->ai_addr, pick->ai_addrlen);
    sa.len = pick->ai_addrlen;
    info.host = sa.host();
    freeaddrinfo(res);
  }
  // Without a secret the id is still well-defined (every rank derives the same one) but guessable.
  std::string material = (secret != nullptr && secret[0] != 0) ? std::string("chorus-secret:") + secret
                                                                : "chorus-address:" + info.host + ":" +
                                                                      std::to_string(info.port);
  uint8_t digest[32];
  bootstrap::Sha256(material.data(), material.size(), digest);
  memcpy(info.secret, digest, sizeof(info.secret));
  return EncodeUniqueId(info, id);
}

Status ReadLaunchUniqueId(chorusUniqueId* id) {
  if (id == nullptr) return InvalidArgument("ReadLaunchUniqueId: id is NULL");
  std::string text = EnvString("CHORUS_UNIQUE_ID");
  if (!text.empty()) {
    Status s = UniqueIdFromString(text, id);
    if (!s.ok()) return Status(s.code(), "CHORUS_UNIQUE_ID: " + s.message());
    return Status::Ok();
  }
  std::string addr = EnvString("CHORUS_ROOT_ADDR");
  if (addr.empty()) {
    return InvalidUsage("no unique id in the environment: set CHORUS_UNIQUE_ID (chorus-run does), or "
                        "CHORUS_ROOT_ADDR=host:port (rank 0's host and a free port) and CHORUS_SECRET");
  }
  std::string secret = EnvString("CHORUS_SECRET");
  if (secret.empty()) {
    CHORUS_INFO(kBootstrap, "CHORUS_SECRET is not set: the bootstrap secret is derived from "
                "CHORUS_ROOT_ADDR alone, so anyone who can reach %s can join", addr.c_str());
  }
  Status s = UniqueIdFromAddress(addr, secret.empty() ? nullptr : secret.c_str(), id);
  if (!s.ok()) return Status(s.code(), "CHORUS_ROOT_ADDR: " + s.message());
  return Status::Ok();
}

}  // namespace chorus
