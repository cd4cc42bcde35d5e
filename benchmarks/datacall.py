"""The monthly data call at full size: make the request forms for every ministry and all 47 prefectures
(municipal rows included), fill every prefecture's form as offices would (every row: a value, its 時点 and a
取組状況), and collect the 47 replies in one run. Prints times, rows and peak memory with the machine.

    python benchmarks/datacall.py WAREHOUSE [--period 2021-03]

The warehouse is copied first (never written). Targets (issue 14): making and collecting each under 60 s,
peak memory under 1.5 GiB.
"""
from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, peak_rss_mib  # noqa: E402

from etl.datacall import forms  # noqa: E402
from etl.datacall.collect import collect  # noqa: E402
from etl.datacall.sample import type_into  # noqa: E402


def fill(made: forms.MadeForm) -> int:
    """Every row of a form answered as an office would: 1 for a count (0 every seventh), 令和2年度, a line of
    取組状況."""
    rows = {i: {"今回実績": 0 if (forms.HEADER_ROW + 1 + i) % 7 == 0 else 1, "時点": "令和2年度", "取組状況": "庁内で検討中"}
            for i in range(made.rows)}
    type_into(made.path, rows)
    return len(rows)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("warehouse", type=Path)
    ap.add_argument("--period", default="2021-03")
    args = ap.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as d:
        wh = Path(d) / "wh.duckdb"
        shutil.copy(args.warehouse, wh)
        start = time.perf_counter()
        made = forms.make_forms(args.period, Path(d) / "forms", warehouse=wh, everyone=True, user="benchmark",
                                now=dt.datetime(2021, 4, 1, 9))
        took = time.perf_counter() - start
        print(f"make: {len(made)} forms, {sum(m.rows for m in made):,} rows in {took:.1f} s; peak RSS {peak_rss_mib():,.0f} MiB")
        prefectures = [m for m in made if m.recipient.kind == "prefecture"]
        rows = sum(fill(m) for m in prefectures)
        start = time.perf_counter()
        reports = collect([m.path for m in prefectures], wh, user="benchmark", now=dt.datetime(2021, 4, 10, 9))
        took = time.perf_counter() - start
        loaded = sum(r.status == "loaded" for r in reports)
        refused = [(r.file, r.errors[:2]) for r in reports if r.status != "loaded"]
        print(f"collect: {len(reports)} prefecture replies, {rows:,} rows filled, {loaded} loaded in {took:.1f} s; "
              f"peak RSS {peak_rss_mib():,.0f} MiB")
        if refused:
            print("refused:", refused[:3])


if __name__ == "__main__":
    main()
