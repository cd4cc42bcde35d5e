"""Queries over what the source documents say beside the plan: the policy directions of 002 and the
figures reported in 003/004 (pillars page, measure page)."""
from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd


def direction_comparison(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    """KPI status counts per policy direction of 002 (a measure under its primary direction)."""
    sql = """
        select case when ds.direction_no > 0 then chr(9311 + ds.direction_no) || ' ' else '' end || ds.short_name as direction,
               ds.kind, ds.status, ds.status_label, s.color, s.sort_order, s.family, ds.kpis, ds.direction_no
        from direction_status_as_of(?) ds
        join statuses s on s.code = ds.status
        order by ds.direction_no < 0, ds.direction_no, ds.kind desc, s.sort_order
    """
    return con.execute(sql, [as_of]).df()


def measure_figures(con: duckdb.DuckDBPyConnection, measure_no: int) -> pd.DataFrame:
    """Figures of the documents linked to the measure's KPIs: observed ones first, then proxies."""
    sql = """
        select f.kpi_id, f.relation, f.value, f.unit, f.as_of_text, f.quote,
               coalesce(s.title, f.source_file) || ' ' || f.line || '行目' as line, f.reason
        from document_figures f left join sources s on s.file = f.source_file
        where f.measure_no = ?
        order by f.relation = 'proxy', f.kpi_id, f.line
    """
    return con.execute(sql, [measure_no]).df()


def measure_directions(con: duckdb.DuckDBPyConnection, measure_no: int) -> pd.DataFrame:
    """The directions a measure serves, primary first, with the reason of the mapping."""
    sql = """
        select role, direction_no, direction, sub_id, sub_measure, reason
        from measure_directions where measure_no = ? order by role = 'secondary', sub_id
    """
    return con.execute(sql, [measure_no]).df()
