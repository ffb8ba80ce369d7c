"""``make bench`` / ``python -m bench.run``: the benchmark suites.

Default (quick): SQLite, 100,000 cases — pages, API, writes and audit verification, each
read against the bare baseline; the roster import (20,000 rows, SQLite); a decision
letter's PDF (warm and in a fresh process); 政策体检 for a graduate with 50 earlier cases.

``--full``: PostgreSQL, 10,000 and 1,000,000 cases — the same latency suite on both, the
ratio between the two scales, throughput (gunicorn with 2 workers under wrk), the roster
import (100,000 rows, SQLite and PostgreSQL), and the decision letter's PDF.

Generated databases are kept under instance/bench (PostgreSQL: zc_bench_10k, zc_bench_1m)
and reused; ``--regenerate`` makes them again. Each suite saves its figures as JSON in
instance/bench/results-*.json and prints a Markdown table for BENCHMARKS.md, with the
targets of issue 11 checked.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from typing import Any

from bench.common import BENCH_DIR, PYTHON, ROOT, machine

QUEUE_MEDIAN_MS = 50.0
QUEUE_RATIO = 3.0
SCALE_RATIO = 2.0


def _latency(n: int, backend: str, runs: int, regenerate: bool, verify_runs: int | None) -> Any:
    from bench import latency

    return latency.run(n, backend, runs=runs, verify_runs=verify_runs, reuse=not regenerate)


def _roster(rows: int, postgres: bool) -> str:
    args = [PYTHON, "-m", "bench.bench_roster", "--rows", str(rows), "--runs", "2"]
    if not postgres:
        args.append("--no-postgres")
    print(f"\n== roster import: {rows:,} rows ==", flush=True)
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)
    print(proc.stdout + proc.stderr[-2000:])
    return proc.stdout


def _documents() -> str:
    args = [PYTHON, "-m", "bench.bench_documents"]
    print("\n== decision letter PDF ==", flush=True)
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)
    print(proc.stdout + proc.stderr[-2000:])
    return proc.stdout


def _services(postgres: bool) -> str:
    args = [PYTHON, "-m", "bench.bench_services"]
    if not postgres:
        args.append("--no-postgres")
    print("\n== 政策体检 (policy check) ==", flush=True)
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)
    print(proc.stdout + proc.stderr[-2000:])
    return proc.stdout


def table(results: list[dict[str, Any]]) -> list[str]:
    """The latency results as Markdown rows (one row per read or write per scale)."""
    out = [
        "| scale | page | app median (p95) ms | baseline median (p95) ms | ratio | SQL |",
        "|---|---|---|---|---|---|",
    ]
    for res in results:
        scale = f"{res['cases']:,} {res['backend']}"
        for r in res["reads"]:
            base = (
                f"{r['base_median_ms']:.1f} ({r['base_p95_ms']:.1f})"
                if r["base_median_ms"] is not None
                else "–"
            )
            ratio = f"{r['ratio']:.1f}×" if r["ratio"] else "–"
            out.append(
                f"| {scale} | {r['name']} | {r['app_median_ms']:.1f} ({r['app_p95_ms']:.1f}) "
                f"| {base} | {ratio} | {r['statements'] or '–'} |"
            )
        for w in res["writes"]:
            out.append(
                f"| {scale} | {w['name']} | {w['median_ms']:.1f} ({w['p95_ms']:.1f}) | – | – | – |"
            )
        f = res.get("stats_fresh")
        if f:
            out.append(
                f"| {scale} | statistics computed afresh (in process) | city {f['city_s']} s, "
                f"district {f['district_s']} s; `flask stats refresh` {f['refresh_scopes']} "
                f"scopes in {f['refresh_s']} s | – | – | – |"
            )
        v = res.get("verify")
        if v:
            out.append(
                f"| {scale} | audit verify | {v['events']:,} events in {v['median_s']} s = "
                f"{v['events_per_s']:,} events/s | – | – | – |"
            )
    return out


def _kind(name: str) -> str:
    """``queue page 1`` → ``queue first``, ``queue page 20`` → ``queue deep``."""
    head, sep, page = name.rpartition(" page ")
    if sep and page.isdigit():
        return f"{head} {'first' if page == '1' else 'deep'}"
    return name


def _page_rows(res: dict[str, Any], name: str) -> int:
    """Rows on page k of the district's submitted queue (50 a page)."""
    k = int(name.rpartition(" page ")[2])
    return max(0, min(50, res["info"]["queue_rows"] - 50 * (k - 1)))


def check(results: list[dict[str, Any]]) -> list[str]:
    """The targets of issue 11, met or missed."""
    lines = []
    for res in results:
        if res["cases"] < 1_000_000:
            continue
        for r in res["reads"]:
            if not r["name"].startswith("queue page"):
                continue
            ok = r["app_median_ms"] < QUEUE_MEDIAN_MS and (r["ratio"] or 0) <= QUEUE_RATIO
            lines.append(
                f"{'met   ' if ok else 'MISSED'} {r['name']} at {res['cases']:,}: "
                f"{r['app_median_ms']:.1f} ms (< {QUEUE_MEDIAN_MS:.0f}), "
                f"{r['ratio']:.1f}× baseline (≤ {QUEUE_RATIO:.0f}×)"
            )
    by_scale = {res["cases"]: res for res in results if res["backend"] == "postgresql"}
    if 1_000_000 in by_scale and 10_000 in by_scale:
        big, small_res = by_scale[1_000_000], by_scale[10_000]
        small = {
            _kind(r["name"]): r
            for r in small_res["reads"]
            + [{"name": w["name"], "app_median_ms": w["median_ms"]} for w in small_res["writes"]]
        }
        for name in big.get("failed", {}):
            lines.append(f"MISSED {name} at 1,000,000: {big['failed'][name]}")
        for r in big["reads"] + [
            {"name": w["name"], "app_median_ms": w["median_ms"]} for w in big["writes"]
        ]:
            s = small.get(_kind(r["name"]))
            if s is None:
                continue
            if _kind(r["name"]).endswith(" deep"):
                rows = (_page_rows(big, r["name"]), _page_rows(small_res, s["name"]))
                if rows[0] != rows[1]:
                    lines.append(
                        f"n/a    {r['name']} at 1,000,000 vs {s['name']} at 10,000: "
                        f"{rows[0]} rows against {rows[1]} (the 10,000-case queue has no "
                        f"full deep page)"
                    )
                    continue
            ratio = r["app_median_ms"] / s["app_median_ms"]
            lines.append(
                f"{'met   ' if ratio <= SCALE_RATIO else 'MISSED'} {r['name']} at 1,000,000 vs "
                f"{s['name']} at 10,000: {r['app_median_ms']:.1f} / {s['app_median_ms']:.1f} ms "
                f"= {ratio:.2f}× (≤ {SCALE_RATIO:.0f}×)"
            )
    return lines


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    p.add_argument("--full", action="store_true", help="PostgreSQL, 10,000 and 1,000,000 cases")
    p.add_argument("--runs", type=int, default=None, help="timed runs per figure")
    p.add_argument("--regenerate", action="store_true", help="generate the databases again")
    p.add_argument("--no-throughput", action="store_true")
    p.add_argument("--no-roster", action="store_true")
    p.add_argument("--no-documents", action="store_true")
    p.add_argument("--no-services", action="store_true", help="no 政策体检 figures")
    p.add_argument(
        "--report", action="store_true", help="print the table from the saved results only"
    )
    args = p.parse_args(argv)
    if args.report:
        results = [
            json.loads(f.read_text())
            for f in sorted(BENCH_DIR.glob("results-latency-*.json"))
            if (json.loads(f.read_text())["backend"] == "postgresql") == args.full
        ]
        results.sort(key=lambda r: r["cases"])
        print("\n".join(table(results)))
        print("\n".join(check(results)))
        return
    print(f"machine: {machine()}")
    results = []
    if args.full:
        runs = args.runs or 50
        results.append(_latency(10_000, "postgresql", runs, args.regenerate, 3))
        results.append(_latency(1_000_000, "postgresql", runs, args.regenerate, 1))
        if not args.no_throughput:
            from bench import throughput

            throughput.run(1_000_000, "postgresql")
        if not args.no_roster:
            _roster(100_000, postgres=True)
        if not args.no_documents:
            _documents()
        if not args.no_services:
            _services(postgres=True)
    else:
        runs = args.runs or 30
        results.append(_latency(100_000, "sqlite", runs, args.regenerate, 3))
        if not args.no_roster:
            _roster(20_000, postgres=False)
        if not args.no_documents:
            _documents()
        if not args.no_services:
            _services(postgres=False)
    print("\n" + "\n".join(table(results)))
    verdicts = check(results)
    if verdicts:
        print("\ntargets (issue 11):\n" + "\n".join(verdicts))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
