// What a launcher tells a rank through the environment: its rank and the world size (chorus-run,
// mpirun, srun, PMI launchers) and where the root is (CHORUS_UNIQUE_ID, or CHORUS_ROOT_ADDR plus
// CHORUS_SECRET in the style of torchrun). The API layer's chorusCommInitFromEnv reads it here.
#pragma once

#include <string>

#include "chorus/chorus.h"
#include "core/status.h"
#include "core/types.h"

namespace chorus {

struct LaunchInfo {
  Rank rank = -1;
  int world_size = 0;
  Rank local_rank = -1;  // -1: the launcher did not say
  int local_size = 0;    // 0: the launcher did not say
  std::string source;    // which variables were used, e.g. "CHORUS_RANK/CHORUS_WORLD_SIZE"
};

// Reads rank and size from the first pair that is set, in this order: CHORUS_RANK /
// CHORUS_WORLD_SIZE, OMPI_COMM_WORLD_RANK / OMPI_COMM_WORLD_SIZE, PMI_RANK / PMI_SIZE,
// SLURM_PROCID / SLURM_NTASKS; and the local rank / size, when known, from CHORUS_LOCAL_RANK /
// CHORUS_LOCAL_SIZE, OMPI_COMM_WORLD_LOCAL_RANK / _SIZE, MPI_LOCALRANKID / MPI_LOCALNRANKS or
// SLURM_LOCALID. Errors name the variable at fault.
Status ReadLaunchInfo(LaunchInfo* out);

// The unique id from CHORUS_UNIQUE_ID (hex text, as chorus-run sets it), else from
// CHORUS_ROOT_ADDR ("host:port", "[v6]:port") and CHORUS_SECRET.
Status ReadLaunchUniqueId(chorusUniqueId* id);

// Builds an id from "host:port" (host: a numeric address or a name, resolved here) and a secret
// string, hashed (SHA-256, first 16 bytes) into the id's secret. A null or empty secret derives the
// secret from the address alone: anyone who knows the address can then join, so use it only on
// trusted networks.
Status UniqueIdFromAddress(const std::string& root_addr, const char* secret, chorusUniqueId* id);

// Splits "host:port" / "[v6]:port" (port 1..65535).
Status SplitHostPort(const std::string& text, std::string* host, uint16_t* port);

}  // namespace chorus
