#!/usr/bin/env python3
"""Summarises chorus-micro-reduce JSON output: the best repetition of each benchmark (the least
disturbed one on a shared machine), its GB/s (10^9 bytes moved per second) and its ratio to the
best memcpy of the same size.

  chorus-micro-reduce --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true \\
      --benchmark_format=json > out.json
  summarize_reduce.py out.json
"""
import json
import sys


def main(path):
    data = json.load(open(path))
    best = {}
    for b in data["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        name = b["run_name"].replace("/real_time", "")
        best[name] = max(best.get(name, 0.0), b["bytes_per_second"] / 1e9)
    memcpy = {}
    for name, bw in best.items():
        if name.startswith("memcpy"):
            size = name.split("/")[-1]
            memcpy[size] = max(memcpy.get(size, 0.0), bw)
    ctx = data.get("context", {})
    print(f"host: {ctx.get('host_name', '?')}, {ctx.get('num_cpus', '?')} CPUs, "
          f"simd target {ctx.get('chorus.simd_target', '?')}")
    print("| benchmark | GB/s | vs memcpy |")
    print("| --- | ---: | ---: |")
    for name, bw in best.items():
        size = name.split("/")[-1]
        ratio = bw / memcpy[size] if memcpy.get(size) else float("nan")
        print(f"| {name} | {bw:.1f} | {ratio:.2f} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/dev/stdin")
