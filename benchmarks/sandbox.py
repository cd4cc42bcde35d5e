"""Cost and bounds of the SQL box's worker-process isolation (issue 11).

    python benchmarks/sandbox.py [WAREHOUSE] [--repeat 20]

Prints, with the machine: the forkserver's start (the first query after a server start), the latency
of a trivial and of a typical query through the isolated worker against the same query on an
in-process connection, and for each heavy query the time until its limit fired, the worker's peak
RSS (polled every 10 ms) and the server process's own peak RSS before and after.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine  # noqa: E402

HEAVY = [
    "select levenshtein(repeat('a', 180000), repeat('b', 180000))",
    "select damerau_levenshtein(repeat('a', 25000), repeat('b', 25000))",
    "select repeat('x', 10000000) from range(10000)",
    "select list(repeat('x', 1000)) from range(10000000)",
    "select count(*) from (select range % 1000000 r, repeat('x', 100) s from range(20000000) order by s, r)",
]


def children_rss_mib(parent: int) -> float:
    """Total RSS of the processes whose parent is `parent` (the forkserver's task children)."""
    total = 0
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", encoding="ascii") as fh:
                if int(fh.read().rsplit(")", 1)[1].split()[1]) != parent:
                    continue
            with open(f"/proc/{d}/status", encoding="ascii") as fh:
                total += next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))
        except (OSError, StopIteration, ValueError):
            continue
    return total / 1024


def main() -> None:
    from multiprocessing import forkserver

    from etl import isolation, settings
    from warehouse.db import connect_readonly, cursor
    from warehouse.sandbox import QueryRefused, run_query

    ap = argparse.ArgumentParser()
    ap.add_argument("warehouse", nargs="?", type=Path, default=settings.warehouse_path())
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    print(f"machine: {machine()}")
    print(f"warehouse: {args.warehouse} ({args.warehouse.stat().st_size / 2**20:,.0f} MiB)")
    print(f"server RSS at start: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")

    cold = isolation.warm_up()
    print(f"forkserver start (first isolated task after a server start): {cold:.3f} s")
    con = connect_readonly(args.warehouse)
    for label, sql in [("trivial", "select count(*) from measures"),
                       ("typical", "select kind, status_label, count(*) as n from kpi_status_as_of(date '2021-03-31') group by all")]:
        runs = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            run_query(sql, args.warehouse)
            runs.append(time.perf_counter() - start)
        inproc = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            cursor(con).sql(sql).df()
            inproc.append(time.perf_counter() - start)
        print(f"{label:8s} isolated: first {runs[0]:.3f} s, median {statistics.median(runs):.3f} s, "
              f"max {max(runs):.3f} s | in-process median {statistics.median(inproc) * 1000:.1f} ms")

    server = forkserver._forkserver._forkserver_pid
    print("\nheavy queries (limits: 10 s, 512 MiB):")
    for sql in HEAVY:
        peak, stop = [0.0], threading.Event()

        def poll():
            while not stop.is_set():
                peak[0] = max(peak[0], children_rss_mib(server))
                time.sleep(0.01)

        t = threading.Thread(target=poll)
        t.start()
        start = time.perf_counter()
        try:
            run_query(sql, args.warehouse)
            outcome = "ran"
        except QueryRefused as e:
            outcome = str(e)
        took = time.perf_counter() - start
        stop.set()
        t.join()
        print(f"  {took:5.2f} s  worker peak RSS {peak[0]:6,.0f} MiB  {outcome[:40]:40s} {sql[:70]}")
    print(f"server peak RSS after all: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


if __name__ == "__main__":
    main()
