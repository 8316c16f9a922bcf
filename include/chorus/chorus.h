/*
 * Chorus: vendor-neutral collective communication.
 *
 * The C API. C99-clean and ABI-stable: enums have fixed values, structs that may grow carry their
 * size and version first (chorusConfig_t), and every function returns a chorusResult_t.
 */
#ifndef CHORUS_CHORUS_H_
#define CHORUS_CHORUS_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CHORUS_MAJOR 0
#define CHORUS_MINOR 1
#define CHORUS_PATCH 0
/* Encoded as major*10000 + minor*100 + patch (as NCCL_VERSION_CODE). */
#define CHORUS_VERSION_CODE (CHORUS_MAJOR * 10000 + CHORUS_MINOR * 100 + CHORUS_PATCH)

#if defined(__GNUC__)
#define CHORUS_API __attribute__((visibility("default")))
#else
#define CHORUS_API
#endif

typedef enum {
  chorusSuccess = 0,
  chorusInvalidArgument = 1, /* a bad pointer, count, dtype, op, root or peer */
  chorusInvalidUsage = 2,    /* a valid call at the wrong time: use after destroy, mismatched calls */
  chorusSystemError = 3,     /* the OS refused: socket, shared memory, mmap, thread */
  chorusInternalError = 4,   /* a bug in Chorus: please report it */
  chorusRemoteError = 5,     /* a peer failed, left, or sent something malformed */
  chorusTimeout = 6,         /* a wait exceeded CHORUS_TIMEOUT / config.timeoutMs */
  chorusInProgress = 7,      /* a non-blocking init has not finished yet */
  chorusNumResults = 8
} chorusResult_t;

typedef enum {
  chorusInt8 = 0,
  chorusUint8 = 1,
  chorusInt32 = 2,
  chorusUint32 = 3,
  chorusInt64 = 4,
  chorusUint64 = 5,
  chorusFloat16 = 6,
  chorusBfloat16 = 7,
  chorusFloat32 = 8,
  chorusFloat64 = 9,
  chorusFloat8e4m3 = 10,
  chorusFloat8e5m2 = 11,
  chorusNumTypes = 12
} chorusDataType_t;

typedef enum {
  chorusSum = 0,
  chorusProd = 1,
  chorusMin = 2,
  chorusMax = 3,
  chorusAvg = 4,
  chorusNumOps = 5
} chorusRedOp_t;

/* Opaque communicator. */
typedef struct chorusComm* chorusComm_t;

/* A stream: the backend's native stream (cudaStream_t, hipStream_t) on a device communicator.
 * On a CPU communicator pass NULL: the call completes before it returns. */
typedef void* chorusStream_t;

#define CHORUS_UNIQUE_ID_BYTES 128
/* Carries the root's address and a random secret; produced by chorusGetUniqueId on one rank and
 * handed to the others by the application (MPI_Bcast, a file, an environment variable). */
typedef struct {
  char internal[CHORUS_UNIQUE_ID_BYTES];
} chorusUniqueId;

/* Device kinds a communicator can be bound to. */
typedef enum { chorusDeviceCpu = 0, chorusDeviceCuda = 1, chorusDeviceHip = 2 } chorusDeviceKind_t;

/* Per-communicator configuration. Initialise with CHORUS_CONFIG_INITIALIZER; fields left at their
 * "unset" value (-1 or NULL) take the environment's or the built-in default. */
typedef struct {
  size_t size;        /* sizeof(chorusConfig_t): lets the struct grow without breaking the ABI */
  unsigned int magic; /* CHORUS_CONFIG_MAGIC */
  unsigned int version;
  int blocking;            /* 1 (default): init returns when ready; 0: may return chorusInProgress */
  int deviceKind;          /* chorusDeviceKind_t; -1: CPU */
  int deviceIndex;         /* -1: 0 */
  int64_t timeoutMs;       /* -1: CHORUS_TIMEOUT (seconds) or 600 s */
  const char* commName;    /* for logs; NULL: "comm" */
} chorusConfig_t;

#define CHORUS_CONFIG_MAGIC 0xC40A0501u
#define CHORUS_CONFIG_INITIALIZER \
  { sizeof(chorusConfig_t), CHORUS_CONFIG_MAGIC, CHORUS_VERSION_CODE, -1, -1, -1, -1, NULL }

/* ---- version and errors ---- */
CHORUS_API chorusResult_t chorusGetVersion(int* version);
/* A static string naming a result code. */
CHORUS_API const char* chorusGetErrorString(chorusResult_t result);
/* The message of the last failed call on this communicator (or, with comm == NULL, the last failed
 * call of this thread that had no usable communicator). Never NULL; "" when there was none. */
CHORUS_API const char* chorusGetLastError(chorusComm_t comm);

/* ---- communicators ---- */
CHORUS_API chorusResult_t chorusGetUniqueId(chorusUniqueId* uniqueId);
/* Builds a unique id from a root address "host:port" and a secret string (for launchers that pass
 * them in environment variables: CHORUS_ROOT_ADDR, CHORUS_SECRET). */
CHORUS_API chorusResult_t chorusUniqueIdFromAddress(chorusUniqueId* uniqueId, const char* rootAddr,
                                                    const char* secret);
/* Text form of a unique id (hex, 2*CHORUS_UNIQUE_ID_BYTES+1 bytes with the NUL) and back. */
CHORUS_API chorusResult_t chorusUniqueIdToString(const chorusUniqueId* uniqueId, char* out,
                                                 size_t outSize);
CHORUS_API chorusResult_t chorusUniqueIdFromString(chorusUniqueId* uniqueId, const char* text);

/* One rank of nranks; every rank passes the same id. config may be NULL. */
CHORUS_API chorusResult_t chorusCommInitRank(chorusComm_t* comm, int nranks, chorusUniqueId commId,
                                             int rank, const chorusConfig_t* config);
/* One rank per process, from the launcher's environment: CHORUS_RANK / CHORUS_WORLD_SIZE, Open MPI
 * (OMPI_COMM_WORLD_RANK/SIZE), PMI (PMI_RANK/SIZE) or Slurm (SLURM_PROCID/NTASKS); the id from
 * CHORUS_UNIQUE_ID (set by chorus-run) or CHORUS_ROOT_ADDR + CHORUS_SECRET. */
CHORUS_API chorusResult_t chorusCommInitFromEnv(chorusComm_t* comm, const chorusConfig_t* config);
/* ndev ranks as threads of this process: comms[i] is rank i. devlist may be NULL (all CPU). */
CHORUS_API chorusResult_t chorusCommInitAll(chorusComm_t* comms, int ndev, const int* devlist);
/* A rank passing this color to chorusCommSplit joins no new communicator (*newcomm = NULL). */
#define CHORUS_SPLIT_NOCOLOR (-1)
/* Collective over comm: ranks passing the same color form a new communicator, ranked by key
 * (ties by rank in comm). config may be NULL. */
CHORUS_API chorusResult_t chorusCommSplit(chorusComm_t comm, int color, int key, chorusComm_t* newcomm,
                                          const chorusConfig_t* config);
/* After a failure: the ranks of comm not listed in excludeRanks (every survivor passes the same
 * list) build a new communicator, ranked in their old order, without relying on the excluded ranks
 * or on comm's broken data path. comm itself stays broken: destroy or abort it. */
CHORUS_API chorusResult_t chorusCommShrink(chorusComm_t comm, const int* excludeRanks, int excludeCount,
                                           chorusComm_t* newcomm, const chorusConfig_t* config);
/* The communicator's state: chorusInProgress while a non-blocking init (config.blocking = 0) runs,
 * then chorusSuccess, or the error that broke it (an init failure, a dead peer, a timeout). */
CHORUS_API chorusResult_t chorusCommGetAsyncError(chorusComm_t comm, chorusResult_t* asyncError);
/* Waits for outstanding work, then frees everything the communicator owns. */
CHORUS_API chorusResult_t chorusCommDestroy(chorusComm_t comm);
/* Stops outstanding work (a call blocked in another thread returns), frees, and never waits on peers. */
CHORUS_API chorusResult_t chorusCommAbort(chorusComm_t comm);
CHORUS_API chorusResult_t chorusCommCount(const chorusComm_t comm, int* count);
CHORUS_API chorusResult_t chorusCommUserRank(const chorusComm_t comm, int* rank);

/* ---- collectives ---- (counts are elements per rank unless stated) */
CHORUS_API chorusResult_t chorusAllReduce(const void* sendbuff, void* recvbuff, size_t count,
                                          chorusDataType_t datatype, chorusRedOp_t op,
                                          chorusComm_t comm, chorusStream_t stream);
/* recvbuff holds nranks*sendcount elements; in place when sendbuff == recvbuff + rank*sendcount. */
CHORUS_API chorusResult_t chorusAllGather(const void* sendbuff, void* recvbuff, size_t sendcount,
                                          chorusDataType_t datatype, chorusComm_t comm,
                                          chorusStream_t stream);
/* sendbuff holds nranks*recvcount elements; in place when recvbuff == sendbuff + rank*recvcount. */
CHORUS_API chorusResult_t chorusReduceScatter(const void* sendbuff, void* recvbuff,
                                              size_t recvcount, chorusDataType_t datatype,
                                              chorusRedOp_t op, chorusComm_t comm,
                                              chorusStream_t stream);
/* Each rank sends count elements to every rank: sendbuff and recvbuff hold nranks*count. */
CHORUS_API chorusResult_t chorusAllToAll(const void* sendbuff, void* recvbuff, size_t count,
                                         chorusDataType_t datatype, chorusComm_t comm,
                                         chorusStream_t stream);
CHORUS_API chorusResult_t chorusBroadcast(const void* sendbuff, void* recvbuff, size_t count,
                                          chorusDataType_t datatype, int root, chorusComm_t comm,
                                          chorusStream_t stream);
/* recvbuff is used on the root only (may be NULL elsewhere). */
CHORUS_API chorusResult_t chorusReduce(const void* sendbuff, void* recvbuff, size_t count,
                                       chorusDataType_t datatype, chorusRedOp_t op, int root,
                                       chorusComm_t comm, chorusStream_t stream);
CHORUS_API chorusResult_t chorusSend(const void* sendbuff, size_t count, chorusDataType_t datatype,
                                     int peer, chorusComm_t comm, chorusStream_t stream);
CHORUS_API chorusResult_t chorusRecv(void* recvbuff, size_t count, chorusDataType_t datatype,
                                     int peer, chorusComm_t comm, chorusStream_t stream);
CHORUS_API chorusResult_t chorusBarrier(chorusComm_t comm, chorusStream_t stream);

/* ---- group calls ----
 * Calls between GroupStart and GroupEnd are queued and issued together at GroupEnd, so that e.g.
 * a send to the right and a receive from the left do not wait for each other. Groups nest.
 * A grouped send may read memory that a receive of the same group on the same communicator
 * writes (nccl-tests' in-place sendrecv): it sends what the buffer held at GroupEnd (as
 * MPI_Sendrecv_replace). Across communicators (chorusCommInitAll's ranks driven from one thread)
 * their batches run concurrently: such overlaps there are the caller's to avoid. */
CHORUS_API chorusResult_t chorusGroupStart(void);
CHORUS_API chorusResult_t chorusGroupEnd(void);

/* ---- memory ----
 * Host memory that other processes of this host can map (a shared window; like ncclMemAlloc).
 * Collectives and send/recv whose buffers come from here move large messages with one copy, by
 * the receiver, straight out of the sender's buffer; other memory works the same, with two copies
 * through the shared-memory FIFOs. The memory is zeroed, page-aligned, and stays valid until
 * chorusMemFree (peers keep their mapping of it until they next look, so the pages may outlive the
 * call by a little). */
CHORUS_API chorusResult_t chorusMemAlloc(void** ptr, size_t size);
CHORUS_API chorusResult_t chorusMemFree(void* ptr);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CHORUS_CHORUS_H_ */
