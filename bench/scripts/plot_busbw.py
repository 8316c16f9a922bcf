#!/usr/bin/env python3
"""Draw bus bandwidth against message size from chorus-bench JSON reports (--json).

One line per implementation/algorithm (and per data type and op when a report has several), one
report or several (e.g. 2 and 4 ranks) on the same axes. Unsupported or failed points are left out;
points with wrong elements are marked with a red cross, so a fast wrong result cannot pass unseen.

    plot_busbw.py --out allreduce.png report.json [more.json ...] [--placement oop|ip|both]
"""
import argparse
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def human(nbytes):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if nbytes < 1024 or unit == "GiB":
            return f"{nbytes:g} {unit}"
        nbytes /= 1024
    return str(nbytes)


def series(report, placements):
    """(label, [(size, busbw, wrong)]) for every line of one report."""
    groups = {}
    kinds = {(r["type"], r["redop"]) for r in report["results"]}
    for r in report["results"]:
        for placement in placements:
            m = r["out_of_place" if placement == "oop" else "in_place"]
            if m.get("status") != "ok":
                continue
            label = r["label"]
            if len(kinds) > 1:
                label += f" {r['type']}"
                if r["redop"] != "none":
                    label += f" {r['redop']}"
            if len(placements) > 1:
                label += " (in-place)" if placement == "ip" else ""
            groups.setdefault(label, []).append((r["size"], m["busbw_GBps"], m.get("wrong") or 0))
    return groups


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("reports", nargs="+", help="chorus-bench --json files")
    ap.add_argument("--out", required=True, help="PNG to write")
    ap.add_argument("--placement", choices=["oop", "ip", "both"], default="oop")
    ap.add_argument("--title", default=None)
    args = ap.parse_args(argv)
    placements = ["oop", "ip"] if args.placement == "both" else [args.placement]

    fig, ax = plt.subplots(figsize=(10, 6))
    titles = []
    for path in args.reports:
        with open(path) as f:
            report = json.load(f)
        suffix = f" ({report['nranks']} ranks)" if len(args.reports) > 1 else ""
        titles.append(f"{report['collective']}, {report['nranks']} ranks")
        for label, points in series(report, placements).items():
            points.sort()
            xs = [p[0] for p in points if p[0] > 0]
            ys = [p[1] for p in points if p[0] > 0]
            if not xs:
                continue
            ax.plot(xs, ys, marker="o", markersize=3, label=label + suffix)
            bad = [(p[0], p[1]) for p in points if p[2] > 0 and p[0] > 0]
            if bad:
                ax.plot([b[0] for b in bad], [b[1] for b in bad], "rx", markersize=9, label=f"{label}{suffix}: wrong")
    env = report.get("environment", {})
    ax.set_xscale("log", base=2)
    ticks = [t for t in (2 ** k for k in range(0, 41, 2)) if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    ax.set_xticks(ticks)
    ax.set_xticklabels([human(t) for t in ticks], rotation=45, ha="right")
    ax.set_xlabel("message size (nccl-tests convention)")
    ax.set_ylabel("bus bandwidth (GB/s)" + (" out-of-place" if args.placement == "oop" else ""))
    ax.set_title(args.title or "; ".join(sorted(set(titles))) + f" on {env.get('host', '?')} ({env.get('cpu', '?')})",
                 fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
