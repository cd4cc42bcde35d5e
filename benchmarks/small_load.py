"""Benchmark: the latency of a small load into a large warehouse (issue 18: one prefecture's monthly reply).

A load copies the warehouse, writes the batch into the copy in one transaction, checkpoints, and swaps
the copy into place (etl/observations/store.py), so readers never see half a batch and a failed load
changes nothing. This measures what that costs for a few hundred rows, split into its parts, on a copy of
the given warehouse (the original is not touched).

    python benchmarks/small_load.py WAREHOUSE [--runs 3]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, peak_rss_mib  # noqa: E402

from etl.observations.load import load_files  # noqa: E402
from warehouse.db import connect_readonly  # noqa: E402


def reply(path: Path, warehouse: Path, month: str) -> int:
    """One prefecture's monthly reply: each municipality of Hokkaido × each municipality-level KPI, one month."""
    con = connect_readonly(warehouse)
    try:
        kpis = [r[0] for r in con.execute("""select kpi_id from kpis where area_level = 'municipality'
                                             and kind in ('progress', 'effect') order by kpi_id""").fetchall()]
        codes = [r[0] for r in con.execute("""select area_code from areas where level = 'municipality'
                                              and prefecture_code = '01' order by area_code""").fetchall()]
    finally:
        con.close()
    rows = [{"KPI ID": k, "団体コード": c, "期間": month, "値": 1, "出典": "ベンチマーク(合成データ)", "備考": ""}
            for k in kpis for c in codes]
    pd.DataFrame(rows).to_csv(path, index=False, encoding="utf-8")
    return len(rows)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("warehouse", type=Path)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="shinchoku-small-"))
    target = work / "w.duckdb"
    shutil.copyfile(args.warehouse, target)
    copies, loads = [], []
    for run in range(args.runs):  # a new month each time: the same file twice is refused as already loaded
        csv = work / f"reply{run}.csv"
        n = reply(csv, target, f"2022-{4 + run:02d}")
        t = time.perf_counter()
        shutil.copyfile(target, work / "copy.duckdb")  # the copy a load makes, alone
        copies.append(time.perf_counter() - t)
        (work / "copy.duckdb").unlink()
        t = time.perf_counter()
        report = load_files([csv], target)[0]
        loads.append(time.perf_counter() - t)
        assert report.rows_loaded == n, report.message
    print(f"machine: {machine()}")
    print(f"warehouse: {args.warehouse} ({args.warehouse.stat().st_size / 2**20:,.0f} MiB)")
    print(f"small load: {n} rows (Hokkaido's municipalities × municipality-level KPIs, one month)")
    print(f"  whole load (validate, copy, write, checkpoint, swap): median {statistics.median(loads):.2f} s "
          f"(runs: {', '.join(f'{x:.2f}' for x in loads)})")
    print(f"  of which copying the file: median {statistics.median(copies):.2f} s")
    print(f"peak RSS {peak_rss_mib():,.0f} MiB")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
