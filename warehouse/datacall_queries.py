"""Queries of the data call's pages: commentary beside the figures, submission status."""
from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd


def measure_comments(con: duckdb.DuckDBPyConnection, measure_no: int, as_of: dt.date) -> pd.DataFrame:
    """Every commentary known by as_of on the national rows of a measure's KPIs, newest first per KPI; the
    first row per KPI is the one in force (kpi_comments_as_of)."""
    sql = """
        select h.kpi_id, h.period, h.progress, h.next_steps, h.office, h.person, h.known_at, h.loaded_by,
               h.is_synthetic, h.revision
        from kpi_comments_history h join kpis k using (kpi_id)
        where k.measure_no = ? and h.area_code = '000000' and h.known_at < ?::date + interval 1 day
        order by h.kpi_id, h.period desc, h.known_at desc
    """
    return con.execute(sql, [measure_no, as_of]).df()


def call_periods(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The months for which request forms were made ('2021-03', …), newest first."""
    return [r[0] for r in con.execute("select distinct period from core.datacall_forms order by period desc").fetchall()]


def latest_call(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> str | None:
    """The latest month asked about by request forms made by the end of as_of (None: no call yet)."""
    return con.execute("select max(period) from core.datacall_forms where made_at < ?::date + interval 1 day",
                       [as_of]).fetchone()[0]
