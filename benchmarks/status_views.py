"""Run time of the status views at national scale: each view queried on a fresh connection (cold) and
then again (warm, median of --repeat), as the pages and analysts call them.

    python benchmarks/generate.py /tmp/national.duckdb --kpi-copies 10
    python benchmarks/status_views.py /tmp/national.duckdb [--as-of 2022-05-01] [--repeat 5]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine  # noqa: E402

VIEWS = ["kpi_status_as_of", "measure_status_as_of", "ministry_status_as_of", "pillar_status_as_of", "area_status_as_of"]


def timings(path: Path, as_of: str, repeat: int) -> dict[str, tuple[float, float, int]]:
    """(cold seconds, warm median seconds, rows) per view."""
    out = {}
    for view in VIEWS:
        sql = f"select * from {view}(date '{as_of}')"
        con = duckdb.connect(str(path), read_only=True)
        try:
            t = time.perf_counter()
            rows = len(con.execute(sql).fetchall())
            cold = time.perf_counter() - t
            warm = []
            for _ in range(repeat):
                t = time.perf_counter()
                con.execute(sql).fetchall()
                warm.append(time.perf_counter() - t)
        finally:
            con.close()
        out[view] = (cold, statistics.median(warm), rows)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("warehouse", type=Path)
    ap.add_argument("--as-of", default="2022-05-01")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(f"machine: {machine()}")
    for view, (cold, warm, rows) in timings(args.warehouse, args.as_of, args.repeat).items():
        print(f"{view:24s} cold {cold:6.3f} s   warm {warm:6.3f} s   {rows:,} rows")


if __name__ == "__main__":
    main()
