"""Make a national-scale benchmark warehouse, deterministically (synthetic data, marked as such).

Every municipality × every municipality-level KPI × 12 months × FY2013–FY2021, every prefecture for
the prefecture-level KPIs, and fiscal-year national series for the rest. With the KPI definitions
of the plan there are 15 municipality-level KPIs, i.e. about 2.8 M rows; the issue's 20–40 M rows
assume many more, so --kpi-copies N adds N−1 benchmark copies of each municipality-level KPI
(ids `B{copy}-{kpi}`, kind 'benchmark', in this benchmark warehouse only) to reach that size.

    python benchmarks/generate.py OUT.duckdb [--kpi-copies 10] [--seed 1]
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
from etl.observations import store  # noqa: E402
from etl.periods import fy_period, month_period  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MONTHS = [month_period(y if m >= 4 else y + 1, m) for y in range(2013, 2022) for m in (*range(4, 13), 1, 2, 3)]


def _frame(kpi_id: str, level: str, codes: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Monthly adoption flags that only switch on, for every area."""
    n_months = len(MONTHS)
    start = rng.integers(0, n_months * 2, len(codes))  # about half the areas adopt within the 9 years
    values = (np.arange(n_months)[None, :] >= start[:, None]).astype(float)
    return pd.DataFrame({
        "kpi_id": kpi_id, "area_code": np.repeat(codes, n_months), "area_level": level,
        "period": np.tile([p.key for p in MONTHS], len(codes)),
        "fiscal_year": np.tile([p.fiscal_year for p in MONTHS], len(codes)),
        "month": pd.array(np.tile([p.month for p in MONTHS], len(codes)), dtype="Int64"),
        "period_end": np.tile(np.array([p.end for p in MONTHS], dtype="datetime64[D]"), len(codes)),
        "value": values.ravel(),
    })


def generate(out: Path, kpi_copies: int = 1, seed: int = 1, memory_limit: str = "3GB") -> dict:
    rng = np.random.default_rng(seed)
    # always a fresh file: a build carries over the history of an existing one, which would double the rows
    out.unlink(missing_ok=True)
    shutil.rmtree(store.generations_dir(out), ignore_errors=True)
    work = Path(tempfile.mkdtemp(prefix="shinchoku-gen-"))
    defs = work / "kpi_defs.yaml"
    shutil.copy(ROOT / "kpi_defs.yaml", defs)
    t = time.perf_counter()
    build(warehouse=out, defs_path=defs)
    build_s = time.perf_counter() - t
    areas = area_table()
    codes = {lvl: areas.loc[areas.level == lvl, "area_code"].to_numpy() for lvl in ("municipality", "prefecture")}
    rows = 0
    t = time.perf_counter()
    with store.writer_lock(out), store.swapped(out) as con:
        # DuckDB spills to disk beyond this instead of growing: the final refresh over 100 M rows stays bounded
        con.execute(f"set memory_limit = '{memory_limit}'")
        kpis = con.execute("select kpi_id, area_level from kpis where kind in ('progress', 'effect')").df()
        municipal = kpis.loc[kpis.area_level == "municipality", "kpi_id"].tolist()
        for copy in range(2, kpi_copies + 1):  # benchmark-only copies of the municipality-level KPIs
            con.execute("""insert into core.kpis select * replace ('B' || lpad(?::varchar, 2, '0') || '-' || kpi_id as kpi_id,
                           'benchmark' as kind) from core.kpis where area_level = 'municipality' and kind in ('progress', 'effect')""",
                        [copy])
            con.execute("""insert into core.kpi_methods select m.* replace ('B' || lpad(?::varchar, 2, '0') || '-' || m.kpi_id as kpi_id)
                           from core.kpi_methods m join core.kpis k using (kpi_id)
                           where k.area_level = 'municipality' and k.kind in ('progress', 'effect')""", [copy])
        ids = con.execute("select kpi_id, area_level from core.kpis").df()
        for r in ids.itertuples():  # one transaction per KPI: memory stays at one KPI's rows (≈190 k), at any size
            con.execute("begin transaction")
            if r.area_level in codes:
                frame = _frame(r.kpi_id, r.area_level, codes[r.area_level], rng)
            else:
                years = range(2013, 2022)
                frame = pd.DataFrame({"kpi_id": r.kpi_id, "area_code": "000000", "area_level": "national",
                                      "period": [fy_period(y).key for y in years], "fiscal_year": list(years),
                                      "month": pd.array([None] * 9, dtype="Int64"),
                                      "period_end": np.array([fy_period(y).end for y in years], dtype="datetime64[D]"),
                                      "value": np.round(100 * (1 + rng.normal(0.05, 0.05)) ** np.arange(9), 1)})
            batch = {"file_name": f"benchmark:{r.kpi_id}", "sha256": f"benchmark-{seed}-{r.kpi_id}",
                     "loaded_at": dt.datetime(2022, 5, 1, 9, 0), "loaded_by": "benchmarks/generate.py",
                     "mode": "synthetic", "rows_total": len(frame), "rows_valid": len(frame), "rows_rejected": 0,
                     "is_synthetic": True, "note": f"benchmark seed={seed} (合成データ)"}
            store.insert_batch(con, batch, frame.assign(source="ベンチマーク(合成データ)", note=None, row=None, sheet=None),
                               pd.DataFrame(), refresh=False)
            con.execute("commit")
            rows += len(frame)
        store.refresh_revisions(con)
    return {"rows": rows, "build_s": build_s, "generate_s": time.perf_counter() - t, "size_mib": out.stat().st_size / 2**20,
            "municipal_kpis": len(municipal) * kpi_copies}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--kpi-copies", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    r = generate(args.out, args.kpi_copies, args.seed)
    print(f"machine: {machine()}")
    print(f"warehouse build: {r['build_s']:.2f} s")
    print(f"observations: {r['rows']:,} rows ({r['municipal_kpis']} municipality-level KPIs) in {r['generate_s']:.1f} s")
    print(f"warehouse file: {r['size_mib']:,.0f} MiB; peak RSS {peak_rss_mib():,.0f} MiB")


if __name__ == "__main__":
    main()
