#!/usr/bin/env python3
"""Check the tuner's picks against measured algorithms (issue: "within 10% of the fastest").

Inputs: chorus-bench --algo all JSON reports (every algorithm forced in turn; several runs of the
same sweep: each algorithm's median time per size counts, which filters out one spike or one
lucky run per size) and the stderr of a default run of the same sizes with CHORUS_DEBUG=INFO CHORUS_DEBUG_SUBSYS=TUNE, whose lines
"... TUNE allreduce 8B x2 ranks -> one_shot, ..." name the tuner's pick per size.

Prints a Markdown table: one row per size, each algorithm's out-of-place busbw (GB/s; time in us
below 64 KiB, where busbw is tiny), the fastest algorithm, the tuner's pick and the pick's time over
the fastest time. A pick is "ok" within --tolerance (default 1.10) of the fastest; the exit status
is 1 when any size is not ok.

    tuner_check.py --tune-log tune.log [--tolerance 1.10] [--noise-us 0.1] [--same A=B] algo.json [algo2.json ...]

--noise-us: within this absolute difference two times count as equal (timer and jitter floor for
sub-microsecond calls).
--same A=B: A runs B's program here (recursive doubling on 2 ranks is one-shot's), so A's runs
count as runs of B, and a pick of A as a pick of B.
--identical BIN: BIN is chorus-sched (build/bin/chorus-sched). Per size, algorithms whose programs
for that call are identical (chorus-sched --fingerprint: every rank's steps, out of place, one
channel, the default chunk, as forced runs use) count as one, named A=B: their runs are pooled
and a pick of either is judged on the pooled median. Cells of pooled algorithms end in "=".
--ratios: judge on ratios within each report instead: in each report every algorithm's time over
that report's fastest (the algorithms of one report run interleaved, so drift hits them alike),
then each algorithm's median ratio over the reports (the mean of the middle two for an even
number). Cells show those median ratios; the pick is ok when its median ratio is within
--tolerance. A report without the fastest algorithm at a size makes that report's ratios small:
give reports of complete sweeps.
"""
import argparse
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report_markdown import human  # noqa: E402  (the same size labels as the other tables)


def parse_size(text):
    m = re.fullmatch(r"(\d+)([KMG]?)i?B?", text)
    if not m:
        return None
    return int(m.group(1)) * {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[m.group(2)]


def picks_from_log(path, collective):
    picks = {}
    pat = re.compile(r"TUNE %s (\S+) x(\d+) ranks -> ([a-z_]+)" % collective)
    with open(path, errors="replace") as f:
        for line in f:
            m = pat.search(line)
            if m:
                size = parse_size(m.group(1))
                if size is not None:
                    picks.setdefault(size, m.group(3))
    return picks


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("reports", nargs="+")
    ap.add_argument("--tune-log", required=True)
    ap.add_argument("--tolerance", type=float, default=1.10)
    ap.add_argument("--noise-us", type=float, default=0.1)
    ap.add_argument("--same", action="append", default=[], metavar="A=B")
    ap.add_argument("--identical", metavar="CHORUS_SCHED")
    ap.add_argument("--ratios", action="store_true")
    a = ap.parse_args()
    same = {}
    for s in a.same:
        if "=" not in s:
            ap.error("--same takes A=B")
        x, y = s.split("=", 1)
        same[x] = y
    samples = {}  # size -> {algo: [(time_us, busbw) per report]}
    times = {}  # size -> {algo: median (time_us, busbw)}
    algos = []
    coll = None
    calls = {}  # size -> (nranks, count, type) of the call
    per_report = {}  # size -> [{algo: time_us} per report]
    for index, path in enumerate(a.reports):
        rep = json.load(open(path))
        coll = rep["collective"]
        for r in rep["results"]:
            oop = r.get("out_of_place", {})
            if r.get("impl") != "chorus" or oop.get("status") != "ok" or oop.get("wrong", 0) != 0:
                continue
            algo = same.get(r["variant"], r["variant"])
            if algo not in algos:
                algos.append(algo)
            calls[r["size"]] = (r["nranks"], r["call_count"], r["type"])
            samples.setdefault(r["size"], {}).setdefault(algo, []).append((oop["time_us"], oop["busbw_GBps"]))
            reports = per_report.setdefault(r["size"], [])
            while len(reports) <= index:
                reports.append({})
            reports[index].setdefault(algo, []).append(oop["time_us"])
    # size -> {algo: the label of its group of identical programs}
    group = {size: {algo: algo for algo in by_algo} for size, by_algo in samples.items()}
    if a.identical:
        for size, by_algo in samples.items():
            nranks, count, dtype = calls[size]
            prints = {}
            for algo in by_algo:
                out = subprocess.run([a.identical, algo, "--coll", coll, "--ranks", str(nranks), "--count",
                                      str(count), "--type", dtype, "--fingerprint"],
                                     capture_output=True, text=True)
                if out.returncode == 1:
                    # Too large to fingerprint (or refused): the algorithm stands alone.
                    print(f"tuner_check: {algo} at {size} B not fingerprinted: {out.stderr.strip()}", file=sys.stderr)
                    prints.setdefault(("alone", algo), []).append(algo)
                    continue
                if out.returncode != 0:
                    sys.exit(f"tuner_check: {a.identical} {algo}: {out.stdout}{out.stderr}")
                prints.setdefault(out.stdout.strip(), []).append(algo)
            for members in prints.values():
                label = "=".join(m for m in algos if m in members)
                for m in members:
                    group[size][m] = label
    for size, by_algo in samples.items():
        pooled = {}
        for algo, runs in by_algo.items():
            pooled.setdefault(group[size][algo], []).extend(runs)
        for label, runs in pooled.items():
            runs.sort()
            times.setdefault(size, {})[label] = runs[(len(runs) - 1) // 2]
    ratios = {}  # size -> {label: median over reports of time / that report's fastest}
    for size, reports in per_report.items():
        per_label = {}
        for rep in reports:
            mine = {}
            for algo, ts in rep.items():
                mine.setdefault(group[size][algo], []).extend(ts)
            if not mine:
                continue
            mean = {label: sum(ts) / len(ts) for label, ts in mine.items()}
            fastest = min(mean.values())
            for label, t in mean.items():
                per_label.setdefault(label, []).append(t / fastest)
        for label, rs in per_label.items():
            rs.sort()
            mid = len(rs) // 2
            ratios.setdefault(size, {})[label] = rs[mid] if len(rs) % 2 else (rs[mid - 1] + rs[mid]) / 2
    picks = {size: same.get(p, p) for size, p in picks_from_log(a.tune_log, coll).items()}
    bad = 0
    print(f"| size | " + " | ".join(algos) + " | fastest | tuner | tuner/fastest | |")
    print("|" + "---|" * (len(algos) + 5))
    for size in sorted(times):
        row = times[size]
        best = min(row, key=lambda k: row[k][0])
        if a.ratios:
            best = min(ratios[size], key=lambda k: ratios[size][k])
        pick = picks.get(size)
        if pick is not None:
            pick = group[size].get(pick, pick)
        cells = []
        for algo in algos:
            label = group[size].get(algo)
            mark = "=" if label is not None and label != algo else ""
            if label is None:
                cells.append("")
            elif a.ratios:
                cells.append(f"{ratios[size][label]:.2f}{mark}")
            elif size < 65536:
                cells.append(f"{row[label][0]:.2f} us{mark}")
            else:
                cells.append(f"{row[label][1]:.2f}{mark}")
        if pick is None or pick not in row:
            verdict, ratio = "no pick", ""
            bad += 1
        elif a.ratios:
            r = ratios[size][pick]
            ok = r <= a.tolerance or (row[pick][0] - row[best][0]) <= a.noise_us
            verdict = "ok" if ok else "**off**"
            bad += 0 if ok else 1
            ratio = f"{r:.2f}"
        else:
            t_pick, t_best = row[pick][0], row[best][0]
            r = t_pick / t_best
            ok = r <= a.tolerance or t_pick - t_best <= a.noise_us
            verdict = "ok" if ok else "**off**"
            bad += 0 if ok else 1
            ratio = f"{r:.2f}"
        print(f"| {human(size)} | " + " | ".join(cells) + f" | {best} | {pick} | {ratio} | {verdict} |")
    print(f"\n{len(times) - bad} of {len(times)} sizes: the tuner's pick is within "
          f"{(a.tolerance - 1) * 100:.0f}% of the fastest measured algorithm.")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
