"""Benchmark: load a national-scale observation file (rows/s, peak memory), then write the monthly workbook.

The file is generated here, deterministically: every municipality (1,741) × every
municipality-level KPI × 12 months × FY2013–FY2021, as a UTF-8 CSV.

    python benchmarks/load_observations.py [--municipalities N] [--keep DIR]

Target (issue 3): ≥ 500,000 validated rows/s on the 2-core machine.
"""
from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, peak_rss_mib  # noqa: E402

from etl.areas import area_table  # noqa: E402
from etl.build import build  # noqa: E402
from etl.observations.load import kpi_meta, load_files  # noqa: E402


def national_file(path: Path, kpis: list[str], codes: np.ndarray, seed: int = 1) -> int:
    rng = np.random.default_rng(seed)
    months = [f"{y if m >= 4 else y + 1}-{m:02d}" for y in range(2013, 2022) for m in (*range(4, 13), 1, 2, 3)]
    n = len(kpis) * len(codes) * len(months)
    df = pd.DataFrame({
        "KPI ID": np.repeat(kpis, len(codes) * len(months)),
        "団体コード": np.tile(np.repeat(codes, len(months)), len(kpis)),
        "期間": np.tile(months, len(kpis) * len(codes)),
        "値": rng.integers(0, 2, n),
        "出典": "ベンチマーク(合成)",
        "備考": "",
    })
    df.to_csv(path, index=False)
    return n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--municipalities", type=int, default=1741)
    ap.add_argument("--keep", type=Path, help="keep the generated file and warehouse in this folder")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="shinchoku-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    wh = work / "bench.duckdb"
    defs = work / "kpi_defs.yaml"
    shutil.copy(Path(__file__).resolve().parents[1] / "kpi_defs.yaml", defs)
    t = time.perf_counter()
    build(warehouse=wh, defs_path=defs)
    build_s = time.perf_counter() - t
    kpis = kpi_meta(wh)
    municipal = sorted(kpis.loc[kpis.area_level == "municipality", "kpi_id"])
    areas = area_table()
    codes = areas.loc[areas.level == "municipality", "area_code"].to_numpy()[: args.municipalities]
    csv = work / "national.csv"
    t = time.perf_counter()
    rows = national_file(csv, municipal, codes)
    gen_s = time.perf_counter() - t
    t = time.perf_counter()
    loaded_at = dt.datetime(2026, 11, 1, 9, 0)
    (report,) = load_files([csv], wh, now=loaded_at, user="bench")
    load_s = time.perf_counter() - t
    assert report.status == "loaded", (report.status, report.errors[:3])
    print(f"machine: {machine()}")
    print(f"warehouse build: {build_s:.2f} s")
    print(f"file: {rows:,} rows = {len(codes)} municipalities × {len(municipal)} KPIs × 108 months "
          f"({csv.stat().st_size / 2**20:.0f} MiB CSV, generated in {gen_s:.1f} s)")
    print(f"load (read + validate + write): {load_s:.2f} s = {rows / load_s:,.0f} rows/s")
    print(f"warehouse after load: {wh.stat().st_size / 2**20:.0f} MiB")
    from exports.monthly import write_monthly
    from warehouse.db import connect_readonly

    con = connect_readonly(wh)
    t = time.perf_counter()
    result = write_monthly(con, loaded_at.date(), work / "monthly.xlsx")  # the loaded values are known then
    export_s = time.perf_counter() - t
    con.close()
    print(f"monthly workbook at national scale: {export_s:.2f} s ({result['rows']} KPI rows, {len(result['sheets'])} sheets)")
    print(f"peak RSS: {peak_rss_mib():,.0f} MiB")
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
