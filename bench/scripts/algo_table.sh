#!/usr/bin/env bash
# The all-reduce algorithm table of docs/benchmarks.md: every algorithm forced (--algo all), each
# size measured in 3 interleaved rounds per algorithm (--rounds: drift hits all alike), at 2 and
# at 4 ranks, then the tuner's pick per size (a run that only logs TUNE lines).
# Run on a quiet machine from the repository root after scripts/build; then
#   bench/scripts/tuner_check.py --tune-log OUT/picks2.txt OUT/algo2_*.json
#   bench/scripts/tuner_check.py --tune-log OUT/picks4.txt OUT/algo4_*.json
set -u
O=${1:-out/table}; mkdir -p "$O"
B=build/bin/chorus-bench
timeout 1200 $B allreduce --ranks 2 -b 16 -e 256M -f 4 -n 60 -w 5 --batches 6 --rounds 3 --algo all --json "$O/algo2_1.json" > "$O/algo2_1.txt" 2>&1
timeout 1500 $B allreduce --ranks 4 -b 16 -e 256M -f 4 -n 30 -w 3 --batches 5 --rounds 3 --algo all --json "$O/algo4_1.json" > "$O/algo4_1.txt" 2>&1
for n in 2 4; do
  CHORUS_DEBUG=INFO CHORUS_DEBUG_SUBSYS=TUNE timeout 300 $B allreduce --ranks $n -b 16 -e 256M -f 4 -n 1 -w 0 -c 0 > "$O/picks$n.txt" 2>&1
done
echo "results in $O"
