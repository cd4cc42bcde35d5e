"""National-scale figures: build time and load rows/s, page run times (cold and warm cache), workbook
export, memory, and the overview computed by a naive pandas implementation as a baseline.

    python benchmarks/generate.py /tmp/national.duckdb [--kpi-copies N]
    python benchmarks/run.py /tmp/national.duckdb [--repeat 5] [--skip-load]

Targets (issue 7): every page warm ≤ 0.3 s and cold ≤ 2 s; peak RSS ≤ 1.5 GiB; warehouse ≤ 1 GiB;
the overview ≥ 10× faster than the pandas baseline.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, peak_rss_mib  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["overview", "ministries", "pillars", "municipalities", "measure", "measures", "schedule", "quality", "export", "sql"]


def page_times(warehouse: Path, as_of: str, repeat: int) -> dict[str, tuple[float, float]]:
    """(cold, warm) median seconds of a full script run of each page under AppTest."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["SHINCHOKU_WAREHOUSE"] = str(warehouse)
    os.environ["SHINCHOKU_SQL_PUBLIC"] = "1"  # measure the SQL page as an operator who opened it would see it
    out = {}
    for page in PAGES:
        cold, warm = [], []
        for _ in range(repeat):
            st.cache_data.clear()
            st.cache_resource.clear()
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
            at.query_params["as_of"] = as_of
            at.switch_page(f"pages/{page}.py")
            t = time.perf_counter()
            at.run()
            cold.append(time.perf_counter() - t)
            assert not at.exception, (page, at.exception)
            t = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - t)
        out[page] = (statistics.median(cold), statistics.median(warm))
    return out


def pandas_baseline(warehouse: Path, as_of: str) -> tuple[float, pd.Series]:
    """The overview counts the naive way: all observations into pandas, status computed in Python."""
    import duckdb

    t = time.perf_counter()
    con = duckdb.connect(str(warehouse), read_only=True)
    obs = con.sql("select kpi_id, area_level, period_end, value, known_at from observations_history").df()
    kpis = con.sql("select kpi_id, kind, area_level, target_value, target_date, direction from kpis "
                   "where kind in ('progress', 'effect')").df()
    con.close()
    obs = obs[obs["known_at"] < pd.Timestamp(as_of) + pd.Timedelta(days=1)]
    obs = obs[obs["period_end"] <= pd.Timestamp(as_of)]
    national = obs.groupby(["kpi_id", "period_end"], as_index=False)["value"].sum()
    statuses = {}
    for k in kpis.itertuples():
        s = national[national["kpi_id"] == k.kpi_id].sort_values("period_end")
        if s.empty:
            statuses[k.kpi_id] = "no_data"
            continue
        y0, yt = s["value"].iloc[0], s["value"].iloc[-1]
        if pd.isna(k.target_value) or pd.isna(k.target_date):
            statuses[k.kpi_id] = "no_target"
        elif yt >= k.target_value:
            statuses[k.kpi_id] = "achieved"
        else:
            years = (s["period_end"].iloc[-1] - s["period_end"].iloc[0]).days / 365.25
            total = (pd.Timestamp(k.target_date) - s["period_end"].iloc[0]).days / 365.25
            if y0 > 0 and years > 0 and total > 0:
                r = ((yt / y0) ** (1 / years) - 1) / abs((k.target_value / y0) ** (1 / total) - 1)
                statuses[k.kpi_id] = "on_track" if r >= 0.95 else "acceleration_needed" if r >= 0.5 else "limited" if r >= 0 else "deterioration"
            else:
                statuses[k.kpi_id] = "single_point"
    counts = pd.Series(statuses).value_counts()
    return time.perf_counter() - t, counts


def warehouse_overview(warehouse: Path, as_of: str) -> float:
    from warehouse import queries
    from warehouse.db import connect_readonly

    con = connect_readonly(warehouse)
    t = time.perf_counter()
    queries.status_counts(con, dt.date.fromisoformat(as_of))
    elapsed = time.perf_counter() - t
    con.close()
    return elapsed


def export_time(warehouse: Path, as_of: str) -> float:
    from exports.monthly import write_monthly
    from warehouse.db import connect_readonly

    con = connect_readonly(warehouse)
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        write_monthly(con, dt.date.fromisoformat(as_of), Path(d) / "m.xlsx")
        elapsed = time.perf_counter() - t
    con.close()
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("warehouse", type=Path)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--as-of", help="report date (default: the day of the latest load)")
    ap.add_argument("--skip-load", action="store_true", help="skip the build and load figures (about 30 s)")
    args = ap.parse_args()
    wh = args.warehouse
    print(f"machine: {machine()}")
    if not args.skip_load:  # build time and load rows/s, in their own process so as not to add to this one's RSS
        out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "load_observations.py")], check=True,
                             capture_output=True, text=True).stdout
        print("build and load (benchmarks/load_observations.py):")
        print("".join(f"  {line}\n" for line in out.splitlines() if not line.startswith("machine")), end="")
    import duckdb

    from warehouse import queries
    from warehouse.db import connect_readonly

    con = connect_readonly(wh)
    n = con.execute("select count(*) from core.observations").fetchone()[0]
    # the report date the pages open with: every loaded value is known by then
    as_of = str(args.as_of or queries.default_as_of(con))
    visible = con.execute("select count(*) from observations_as_of(?::date)", [as_of]).fetchone()[0]
    con.close()
    print(f"warehouse: {wh.stat().st_size / 2**20:,.0f} MiB, {n:,} observation rows; "
          f"as of {as_of}: {visible:,} values in force")
    if visible < n * 0.9:
        sys.exit(f"only {visible:,} of {n:,} rows are known as of {as_of}: the figures would not be national-scale")
    times = page_times(wh, as_of, args.repeat)
    pages_rss = peak_rss_mib()
    for page, (cold, warm) in times.items():
        flag = "" if cold <= 2 and warm <= 0.3 else "  ← misses the target (cold ≤ 2 s, warm ≤ 0.3 s)"
        print(f"page {page:15s} cold {cold:6.2f} s   warm {warm:6.3f} s{flag}")
    print(f"peak RSS while serving the pages (AppTest in this process): {pages_rss:,.0f} MiB")
    print(f"monthly workbook: {export_time(wh, as_of):.2f} s")
    base_s, base_counts = pandas_baseline(wh, as_of)
    ours = statistics.median(warehouse_overview(wh, as_of) for _ in range(args.repeat))
    print(f"overview status counts: warehouse {ours:.3f} s, naive pandas {base_s:.2f} s → {base_s / ours:.1f}× faster")
    print(f"peak RSS including the pandas baseline: {peak_rss_mib():,.0f} MiB")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
