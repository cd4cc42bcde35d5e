"""`shinchoku demo`: a deterministic synthetic dataset (デモ（合成データ）) for every KPI with a target,
every dated milestone and every KPI without a target whose wanted direction is known.

The demo lives in its own warehouse file (default warehouse/demo.duckdb, a copy
of the real warehouse) and every synthetic row and batch is marked
is_synthetic, so real and synthetic values never mix silently.

* KPIs that count municipalities (or prefectures) get one adoption series per
  area (1 = adopted) by month, and a national row equal to their sum.
* Every other KPI gets a national fiscal-year series: towards its target; for a dated milestone
  (「令和元年度に実証テストを実施」) reports of 0 (未実施) until it is done (1 = 実施済); without a
  target, a trend (rising, flat or falling).
* Each KPI follows one of four profiles, chosen from a hash of its id: on
  track, behind, regressing, or no data at all.
* Values are "submitted" month by month: the batch for a period is loaded 25
  days after the period ends, so that as-of dates behave as with real data.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from etl import settings
from etl.errors import OutputExists, ShinchokuError
from etl.observations import store
from etl.periods import fy_period, month_period

GENERATOR = "shinchoku-demo-v1"
PROFILES = ("on_track", "behind", "regressing", "no_data")
FIRST_FY, LAST_FY = 2016, 2020
DEFAULT_DEMO = "demo.duckdb"


@dataclass(frozen=True)
class DemoKpi:
    kpi_id: str
    area_level: str
    target: float | None
    target_fy: int
    direction: str
    unit: str | None
    base_fy: int | None
    factor: float | None
    target_kind: str = "absolute"
    anchor_fy: int | None = None  # the fiscal year of a real figure a document reports for the KPI
    anchor: float | None = None  # that figure: the synthetic series runs through it, on its scale


def profile_of(kpi_id: str, seed: int) -> str:
    """The trajectory a KPI follows in the demo; stable for a given seed."""
    h = int(hashlib.sha256(f"{seed}:{kpi_id}".encode()).hexdigest(), 16)
    return PROFILES[h % len(PROFILES)]


def _kpis(con: duckdb.DuckDBPyConnection) -> list[DemoKpi]:
    rows = con.execute(
        """select kpi_id, area_level, target_value, coalesce(target_fy, 2020), direction, unit, base_fy, target_factor,
                  target_kind, d.fiscal_year, d.value
           from kpis
           left join (select kpi_id, fiscal_year, value from core.document_observations
                      qualify row_number() over (partition by kpi_id order by period_end desc) = 1) d using (kpi_id)
           where kind in ('progress', 'effect')
             and (has_target or target_kind = 'milestone' or (area_level = 'national' and direction <> 'unknown'))
           order by kpi_id"""
    ).fetchall()
    return [DemoKpi(*r) for r in rows]


def _share_path(profile: str, t: np.ndarray) -> np.ndarray:
    """Share of the target reached at time t (0 = start of FY2016, 1 = the target year's end)."""
    if profile == "on_track":
        return 0.25 + 0.85 * t
    if profile == "behind":
        return 0.25 + 0.35 * t
    # regressing: rises for a while, then falls back below where it started
    return np.where(t < 0.45, 0.3 + 0.4 * t, 0.48 - 0.55 * (t - 0.45))


def _area_series(k: DemoKpi, profile: str, areas: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Monthly adoption (0/1) per area whose national sum follows the profile."""
    months = [month_period(y, m) for y in range(FIRST_FY, LAST_FY + 2) for m in range(1, 13)
              if FIRST_FY <= (y if m >= 4 else y - 1) <= LAST_FY]
    horizon = max(k.target_fy, LAST_FY) - FIRST_FY + 1
    t = np.array([(p.fiscal_year - FIRST_FY + ((p.month - 4) % 12) / 12) / horizon for p in months])
    n_areas = len(areas)
    target_count = np.clip(_share_path(profile, t) * k.target, 0, n_areas).round().astype(int)
    # each area adopts at a random rank; the first `count` ranks are the adopters at that month
    rank = rng.permutation(n_areas)
    adopted = rank[None, :] < target_count[:, None]  # months × areas
    frame = pd.DataFrame({
        "area_code": np.tile(areas["area_code"].to_numpy(), len(months)),
        "period": np.repeat([p.key for p in months], n_areas),
        "value": adopted.ravel().astype(float),
    })
    meta = pd.DataFrame({"period": [p.key for p in months], "fiscal_year": [p.fiscal_year for p in months],
                         "month": [p.month for p in months], "period_end": [p.end for p in months]})
    frame = frame.merge(meta, on="period")
    frame["area_level"] = k.area_level
    national = frame.groupby(["period", "fiscal_year", "month", "period_end"], as_index=False)["value"].sum()
    national["area_code"], national["area_level"] = "000000", "national"
    return pd.concat([frame, national], ignore_index=True)


def _national_series(k: DemoKpi, profile: str, rng: np.random.Generator) -> pd.DataFrame:
    """Fiscal-year national values following the profile (relative targets from a base-year value)."""
    first = min(FIRST_FY, k.base_fy or FIRST_FY)
    years = list(range(first, LAST_FY + 1))
    horizon = max(k.target_fy, LAST_FY) - first + 1
    t = (np.array(years) - first + 1) / horizon
    if k.factor is not None:  # relative: base value 100 × unit scale; target = base × factor
        base = 100.0 if k.unit == "%" else 1000.0
        target = base * k.factor
        start = base
    else:
        target = k.target
        start = None
    share = _share_path(profile, t)
    if start is not None:
        values = start + (target - start) * np.clip((share - 0.25) / 0.85, -1, 1.2)
    elif k.direction == "decrease":
        values = target * (2 - share)
    else:
        values = target * share
    values = values * (1 + rng.normal(0, 0.02, len(values)))
    if k.unit == "%":
        values = np.clip(values, 0, 100)
    values = np.maximum(values, 0).round(1 if (k.unit == "%" or target < 100) else 0)
    return _fy_frame(years, values)


def _fy_frame(years: list[int], values) -> pd.DataFrame:
    periods = [fy_period(y) for y in years]
    return pd.DataFrame({"area_code": "000000", "area_level": "national", "period": [p.key for p in periods],
                         "fiscal_year": years, "month": None, "period_end": [p.end for p in periods], "value": values})


def _milestone_series(k: DemoKpi, profile: str) -> pd.DataFrame:
    """Yearly reports 0 (未実施) / 1 (実施済): done in the target year, never, or two years late."""
    done_fy = {"on_track": k.target_fy, "behind": None, "regressing": k.target_fy + 2}[profile]
    years = list(range(FIRST_FY, LAST_FY + 1))
    return _fy_frame(years, [float(done_fy is not None and y >= done_fy) for y in years])


def _trend_series(k: DemoKpi, profile: str, rng: np.random.Generator) -> pd.DataFrame:
    """A KPI without a target: rising, flat or falling in its wanted direction by a few per cent a year."""
    pace = {"on_track": 0.06, "behind": 0.0, "regressing": -0.03}[profile] * (-1 if k.direction == "decrease" else 1)
    years = list(range(FIRST_FY, LAST_FY + 1))
    start = 40.0 if k.unit == "%" else 1000.0
    if k.anchor:  # through the real figure, so that real and synthetic values share one scale
        start = k.anchor / (1 + pace) ** (k.anchor_fy - FIRST_FY)
    values = start * (1 + pace) ** np.arange(len(years)) * (1 + rng.normal(0, 0.002, len(years)))
    return _fy_frame(years, np.round(np.clip(values, 0, 100), 1) if k.unit == "%" else np.round(values))


def generate(con: duckdb.DuckDBPyConnection, seed: int) -> tuple[pd.DataFrame, dict[str, str]]:
    """All synthetic observations (with kpi_id) and the profile of each KPI."""
    rng = np.random.default_rng(seed)
    areas = {lvl: con.execute("select area_code from areas where level = ? order by area_code", [lvl]).df()
             for lvl in ("municipality", "prefecture")}
    frames, profiles = [], {}
    for k in _kpis(con):
        profile = profile_of(k.kpi_id, seed)
        profiles[k.kpi_id] = profile
        if profile == "no_data":
            continue
        if k.target_kind == "milestone" and k.direction == "unknown":  # a deed by a date
            df = _milestone_series(k, profile)
        elif k.target is None and k.factor is None:
            df = _trend_series(k, profile, rng)
        elif k.area_level in areas:
            df = _area_series(k, profile, areas[k.area_level], rng)
        else:
            df = _national_series(k, profile, rng)
        frames.append(df.assign(kpi_id=k.kpi_id))
    out = pd.concat(frames, ignore_index=True)
    # a period a document reports for the KPI keeps its real value alone
    real = con.execute("select kpi_id, area_code, period from core.document_observations").df()
    out = out.merge(real.assign(real=True), on=["kpi_id", "area_code", "period"], how="left")
    out = out[out["real"].isna()].drop(columns="real").reset_index(drop=True)
    out["month"] = out["month"].astype("Int64")
    out["fiscal_year"] = out["fiscal_year"].astype("int64")
    return out, profiles


def _known_at(period_end: dt.date) -> dt.datetime:
    """A period's figures are submitted 25 days after it ends, at 10:00 JST."""
    return dt.datetime.combine(period_end + dt.timedelta(days=25), dt.time(10, 0))


def create_demo(source: Path | None = None, target: Path | None = None, seed: int = 20210331,
                force: bool = False) -> dict:
    """Copy the warehouse to the demo file and add the synthetic batches; returns a summary.

    An existing target is replaced only with force (it may hold loaded batches), and is then kept as a
    generation that `shinchoku restore` can bring back.
    """
    src = settings.warehouse_path(source)
    dst = target or src.with_name(DEFAULT_DEMO)
    if not src.exists():
        raise FileNotFoundError(f"{src}: no warehouse yet; run `shinchoku build`")
    if dst.exists() and not force:
        raise OutputExists(f"{dst}: このファイルはすでにあります。置き換えるには --force を付けてください"
                             "(置き換えたファイルは世代として残り、`shinchoku restore` で戻せます)")
    if dst.resolve() == src.resolve():
        raise ShinchokuError(f"{dst}: デモは元のデータウェアハウスとは別のファイルに作ってください")
    from warehouse.db import connect_readonly

    connect_readonly(src).close()  # damaged or of an older layout: said now, not after the copy
    with store.writer_lock(dst), store.swapped(dst, copy_from=src) as con:
        data, profiles = generate(con, seed)
        data["known_at"] = data["period_end"].map(_known_at)
        con.execute("begin transaction")
        n_batches = 0
        for known_at, chunk in data.groupby("known_at", sort=True):
            digest = hashlib.sha256(f"{GENERATOR}:{seed}:{known_at}".encode()).hexdigest()
            batch = {"file_name": f"demo:{known_at:%Y-%m-%d}", "sha256": digest, "loaded_at": known_at,
                     "loaded_by": "shinchoku demo", "mode": "synthetic", "rows_total": len(chunk),
                     "rows_valid": len(chunk), "rows_rejected": 0, "is_synthetic": True,
                     "note": f"デモ（合成データ） {GENERATOR} seed={seed}"}
            valid = chunk.drop(columns=["known_at"]).assign(source="デモ（合成データ）", note=None, row=None, sheet=None)
            store.insert_batch(con, batch, valid, pd.DataFrame())
            n_batches += 1
        con.execute("commit")
    counts = pd.Series(profiles).value_counts().to_dict()
    return {"warehouse": dst, "rows": len(data), "batches": n_batches, "profiles": counts}
