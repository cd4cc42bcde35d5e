"""Every query the pages run, as small functions of (connection, filters) → DataFrame.

Pages call these and render the result; no SQL lives in pages. Parameters are
bound with ?, never formatted into the SQL text.
"""
from __future__ import annotations

import duckdb
import pandas as pd


def pillars(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Official pillar names in their order."""
    return [r[0] for r in con.execute("select name from pillars order by sort_order").fetchall()]


def ministries(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Ministries and groups that at least one measure names, in the government's order."""
    sql = "select name from ministries where measures > 0 order by sort_order, name"
    return [r[0] for r in con.execute(sql).fetchall()]


def measure_list(
    con: duckdb.DuckDBPyConnection,
    pillar: str | None = None,
    ministry: str | None = None,
    lead_only: bool = False,
    search: str | None = None,
) -> pd.DataFrame:
    """Measures for the overview table, filtered by pillar, ministry (lead or any) and title text."""
    sql = """
        select measure_no, national_measure_no, title, pillar, lead_ministries, ministries,
               plan_listing, plan_start_fy, kpi_progress_text, kpi_effect_text, needs_review
        from measures
        where (? is null or pillar = ?)
          and (? is null or list_contains(case when ? then lead_ministries else ministries end, ?))
          and (? is null or title ilike '%' || ? || '%')
        order by measure_no
    """
    params = [pillar, pillar, ministry, lead_only, ministry, search or None, search or None]
    return con.execute(sql, params).df()


def warehouse_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row counts of the main views, for the page footer."""
    sql = """
        select (select count(*) from measures), (select count(*) from kpis),
               (select count(*) from kpis where has_target), (select count(*) from schedule_items),
               (select count(*) from quality_issues where severity = 'warning')
    """
    m, k, t, s, q = con.execute(sql).fetchone()
    return {"measures": m, "kpis": k, "kpis_with_target": t, "schedule_items": s, "quality_warnings": q}


def has_synthetic(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether any synthetic (demo) value is in force; pages then show the 「デモ（合成データ）」 label."""
    return bool(con.execute("select exists (select 1 from observations where is_synthetic)").fetchone()[0])


def observations_as_of(con: duckdb.DuckDBPyConnection, as_of, kpi_id: str | None = None) -> pd.DataFrame:
    """Every KPI × area × period value as it was known at the end of day `as_of` (JST).

    The same as the SQL macro observations_as_of(d); pass a date (or 'YYYY-MM-DD').
    """
    sql = """select * from observations_as_of(?::date) where (? is null or kpi_id = ?)
             order by kpi_id, area_code, period"""
    return con.execute(sql, [str(as_of), kpi_id, kpi_id]).df()
