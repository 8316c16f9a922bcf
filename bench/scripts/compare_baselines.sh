#!/usr/bin/env bash
# The baseline comparisons of docs/benchmarks.md (Open MPI, Gloo, memcpy floor). Run on a quiet machine.
set -u
O=${1:-out/compare}; mkdir -p "$O"
B=build/bin/chorus-bench
g++ -O2 -o /tmp/membw bench/scripts/membw.cc && /tmp/membw 256 > $O/membw.txt 2>&1
for c in allgather reducescatter alltoall; do
  timeout 300 $B $c --ranks 2 -b 1M -e 64M -f 64 -n 40 -w 5 --batches 8 --baseline mpi,gloo > $O/cmp_$c.txt 2>&1
done
timeout 600 $B allreduce --ranks 2 -b 16 -e 256M -f 4 -n 100 -w 5 --batches 10 --baseline mpi > $O/cmp_allreduce_mpi.txt 2>&1
timeout 300 $B allreduce --ranks 2 -b 16 -e 64M -f 16 -n 40 -w 5 --batches 8 --baseline gloo:all > $O/cmp_allreduce_gloo.txt 2>&1
timeout 300 $B allreduce --ranks 2 -b 8 -e 8 -n 20000 -w 500 --batches 20 --baseline mpi > $O/lat8.txt 2>&1
timeout 300 $B allreduce --ranks 4 -b 16 -e 1M -f 16 -n 20 -w 3 --batches 4 --baseline mpi > $O/cmp_allreduce4_mpi.txt 2>&1
timeout 300 $B allreduce --ranks 2 -b 256M -e 256M -n 10 -w 2 --batches 5 --baseline mpi > $O/ar256.txt 2>&1
echo finished
