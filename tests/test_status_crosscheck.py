"""An independent check of the status views: the UN SDG Progress Chart rule, written here from its
published description, against kpi_status_as_of with the UN threshold set selected, on generated series.

The published rule (UN Statistics Division, SDG Progress Chart technical note, indicators with a
numerical target): CAGR_a = (y_t / y_0)^(1/(t − t_0)) − 1 and CAGR_r = (T / y_0)^(1/(t_T − t_0)) − 1 with
years as whole years; CR = CAGR_a / CAGR_r; target met → achieved; CR ≥ 0.95 substantial progress / on
track; 0.5 ≤ CR < 0.95 fair progress, acceleration needed; −0.1 ≤ CR < 0.5 limited or no progress;
CR < −0.1 deterioration. This file shares no code with warehouse/sql.
"""
from __future__ import annotations

import datetime as dt
import itertools
import shutil

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl.observations import store
from etl.periods import fy_period

AS_OF = dt.date(2024, 5, 31)  # every series ends by FY2023 and every deadline is FY2024 or later
UN_THRESHOLDS = [(0.95, "on_track"), (0.5, "acceleration_needed"), (-0.1, "limited")]


def un_progress_chart(y0: float, yt: float, years: int, target: float, target_years: int) -> tuple[str, float | None]:
    """(status, CR) by the UN chart's rule for an indicator with a numerical target."""
    increasing = target > y0
    if (increasing and yt >= target) or (not increasing and yt <= target):
        return "achieved", None
    cagr_actual = (yt / y0) ** (1 / years) - 1
    cagr_required = (target / y0) ** (1 / target_years) - 1
    cr = cagr_actual / cagr_required
    for threshold, status in UN_THRESHOLDS:
        if cr >= threshold:
            return status, cr
    return "deterioration", cr


positive = st.floats(min_value=0.5, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def series(draw):
    base_fy = draw(st.integers(2010, 2021))
    latest_fy = draw(st.integers(base_fy + 1, 2023))
    target_fy = draw(st.integers(2024, 2030))
    y0 = draw(positive)
    increasing = draw(st.booleans())
    # a target on the far side of the base in the wanted direction (what "target" means in both methods)
    factor = draw(st.floats(min_value=1.01, max_value=20)) if increasing else draw(st.floats(min_value=0.05, max_value=0.99))
    # the actual pace as a multiple of the required one, so that every threshold is crossed often
    pace = draw(st.floats(min_value=-1.5, max_value=2.5))
    required = factor ** (1 / (target_fy - base_fy)) - 1
    yt = y0 * max(1 + pace * required, 0.01) ** (latest_fy - base_fy)
    return {"base_fy": base_fy, "latest_fy": latest_fy, "target_fy": target_fy, "y0": y0, "yt": yt,
            "target": y0 * factor, "direction": "increase" if increasing else "decrease"}


@pytest.fixture(scope="module")
def warehouse(built, tmp_path_factory):
    path = tmp_path_factory.mktemp("crosscheck") / "w.duckdb"
    shutil.copy(built, path)
    con = duckdb.connect(str(path))
    yield con
    con.close()


IDS = itertools.count(1)


def _insert(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> list[str]:
    ids = [f"M99-P{next(IDS)}" for _ in rows]
    kpis = pd.DataFrame([{
        "kpi_id": kpi_id, "measure_no": 99, "kind": "progress", "ord": 1, "name": "検証用(合成データ)",
        "source_text": "crosscheck", "target_kind": "absolute", "target_value": r["target"], "comparator": "eq",
        "target_fy": r["target_fy"], "target_timing": "fy", "target_date": fy_period(r["target_fy"]).end,
        "base_fy": r["base_fy"], "direction": r["direction"], "area_level": "national", "aggregation": "none",
        "obs_fy_min": 2000, "obs_fy_max": 2040, "has_target": True, "is_override": False,
    } for kpi_id, r in zip(ids, rows)])
    con.register("frame", kpis)
    con.execute("insert into core.kpis by name select * from frame")
    con.execute("""insert into core.kpi_methods by name
                   select f.kpi_id, m.method as status_method, false as is_custom, m.* exclude (method, label, source)
                   from frame f, core.status_methods m where m.method = 'un_progress_chart'""")
    con.unregister("frame")
    obs = pd.DataFrame([
        {"kpi_id": kpi_id, "area_code": "000000", "area_level": "national", "period": fy_period(fy).key,
         "fiscal_year": fy, "month": None, "period_end": fy_period(fy).end, "value": value,
         "source": "crosscheck", "note": None, "row": None}
        for kpi_id, r in zip(ids, rows) for fy, value in ((r["base_fy"], r["y0"]), (r["latest_fy"], r["yt"]))
    ])
    obs["month"] = obs["month"].astype("Int64")
    batch = {"file_name": "crosscheck", "sha256": "crosscheck", "loaded_at": dt.datetime(2024, 5, 1), "loaded_by": "test",
             "mode": "synthetic", "rows_total": len(obs), "rows_valid": len(obs), "rows_rejected": 0, "is_synthetic": True}
    store.insert_batch(con, batch, obs, pd.DataFrame())
    return ids


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(series(), min_size=1, max_size=25))
def test_the_views_agree_with_the_un_progress_chart(warehouse, rows):
    assert warehouse.execute("select deterioration_below from status_methods where method = 'un_progress_chart'"
                             ).fetchall() == [(-0.1,)]
    ids = _insert(warehouse, rows)
    got = dict(warehouse.execute(
        f"select kpi_id, status from kpi_status_as_of(date '{AS_OF}') where kpi_id in ({', '.join('?' * len(ids))})",
        ids).fetchall())
    for kpi_id, r in zip(ids, rows):
        expected, cr = un_progress_chart(r["y0"], r["yt"], r["latest_fy"] - r["base_fy"], r["target"],
                                         r["target_fy"] - r["base_fy"])
        # the views count years as days / 365.25, the chart in whole years: at most 0.1 % apart, so a CR
        # that close to a threshold may fall either side
        if cr is not None and any(abs(cr - t) < 0.005 * max(1, abs(t)) for t, _ in UN_THRESHOLDS):
            continue
        assert got[kpi_id] == expected, (r, cr)
