#!/usr/bin/env python3
"""Turn a chorus-bench JSON report (--json) into a Markdown table for docs/benchmarks.md.

One row per size: the measured implementation's out-of-place time and busbw and its in-place busbw,
then for each other implementation its out-of-place busbw and the ratio (its time / the first
implementation's time: above 1, the first one is faster). A result with wrong elements is printed
as "WRONG (n)" instead of a figure.

    report_markdown.py report.json [--max-rows N]
"""
import argparse
import json
import sys


def fmt_time(us):
    return f"{us:.1f}" if us < 1000 else f"{us:,.0f}"


def human(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:g} {unit}"
        n /= 1024


def ratio(v):
    return f"{v:.2f}" if v >= 0.01 else f"{v:.2g}"


def cell(m, key):
    if m is None or m.get("status") != "ok":
        return "n/a" if m is not None and m.get("status") == "unsupported" else "err"
    if (m.get("wrong") or 0) > 0:
        return f"WRONG ({m['wrong']})"
    return fmt_time(m["time_us"]) if key == "time_us" else f"{m[key]:.2f}"


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("report")
    args = ap.parse_args(argv)
    with open(args.report) as f:
        rep = json.load(f)
    labels = [g["label"] for g in rep["implementations"] if not g.get("note")]
    first = labels[0]
    by = {}
    for r in rep["results"]:
        by.setdefault((r["type"], r["redop"], r["size"]), {})[r["label"]] = r
    head = ["size", f"{first} time (us)", f"{first} busbw", "in-place busbw"]
    for other in labels[1:]:
        head += [f"{other} busbw", "ratio"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for key in sorted(by, key=lambda k: (k[0], k[1], k[2])):
        row = by[key]
        me = row.get(first)
        cells = [human(key[2]), cell(me and me["out_of_place"], "time_us"), cell(me and me["out_of_place"], "busbw_GBps"),
                 cell(me and me["in_place"], "busbw_GBps")]
        for other in labels[1:]:
            o = row.get(other)
            om = o and o["out_of_place"]
            cells += [cell(om, "busbw_GBps")]
            mm = me and me["out_of_place"]
            ok = all(x is not None and x.get("status") == "ok" and (x.get("wrong") or 0) <= 0 for x in (om, mm))
            cells.append(ratio(om["time_us"] / mm["time_us"]) if ok and mm["time_us"] > 0 else "-")
        print("| " + " | ".join(cells) + " |")
    ratios = rep.get("ratios_geomean_oop", {})
    if ratios:
        print()
        print("Geometric-mean ratios over sizes (out-of-place time of the baseline / Chorus): " +
              ", ".join(f"{k} {v:.2f}" for k, v in ratios.items()) + ".")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
