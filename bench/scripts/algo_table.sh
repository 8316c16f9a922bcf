#!/usr/bin/env bash
# The all-reduce algorithm table of docs/benchmarks.md: every algorithm forced (--algo all), three
# runs at 2 ranks and one at 4, then the tuner's pick per size (a run that only logs TUNE lines).
# Run on a quiet machine from the repository root after scripts/build; then
#   bench/scripts/tuner_check.py --tune-log OUT/picks2.txt OUT/algo2_*.json
#   bench/scripts/tuner_check.py --tune-log OUT/picks4.txt OUT/algo4_*.json
set -u
O=${1:-out/table}; mkdir -p "$O"
B=build/bin/chorus-bench
for r in 1 2 3; do
  timeout 400 $B allreduce --ranks 2 -b 16 -e 256M -f 4 -n 100 -w 5 --batches 10 --algo all --json "$O/algo2_$r.json" > "$O/algo2_$r.txt" 2>&1
done
timeout 900 $B allreduce --ranks 4 -b 16 -e 256M -f 4 -n 40 -w 3 --batches 8 --algo all --json "$O/algo4_1.json" > "$O/algo4_1.txt" 2>&1
for n in 2 4; do
  CHORUS_DEBUG=INFO CHORUS_DEBUG_SUBSYS=TUNE timeout 300 $B allreduce --ranks $n -b 16 -e 256M -f 4 -n 1 -w 0 -c 0 > "$O/picks$n.txt" 2>&1
done
echo "results in $O"
