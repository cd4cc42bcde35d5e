"""Queries of the 市区町村別 page: KPIs reported per prefecture or municipality, and their adoption by area.

Such a KPI counts the areas that have done something (実施団体数); an area has adopted it when its
latest value by the report date is above 0. Parameters are bound with ?, never formatted into the SQL.
"""
from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd


def area_kpis(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every KPI reported per municipality or prefecture, with its target, the number of areas at its
    level (the denominator of a target read as a share) and whether any value has been loaded."""
    sql = """select k.kpi_id, k.name, k.area_level, k.unit, k.target_value, k.comparator, k.target_date, k.target_fy,
                    (select count(*) from areas a where a.level = k.area_level) as areas,
                    -- the per-area totals list every KPI × level with values, without scanning them
                    exists (select 1 from core.area_totals t
                            where t.kpi_id = k.kpi_id and t.area_level = k.area_level) as has_data
             from kpis k where k.area_level in ('municipality', 'prefecture') order by k.kpi_id"""
    return con.execute(sql).df()


def municipal_kpis(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The KPIs of area_kpis that have data."""
    kpis = area_kpis(con)
    return kpis[kpis["has_data"]].reset_index(drop=True)


def prefecture_adoption(con: duckdb.DuckDBPyConnection, kpi_ids: str | list[str], as_of: dt.date) -> pd.DataFrame:
    """Per KPI × prefecture: areas, areas reporting, adopting (latest value > 0) and the adoption rate.

    rate = adopted / reporting, NULL where no area of the prefecture has reported: a prefecture that has
    not replied is unknown, not 0 %. One query for any number of KPIs: the workbook asks for all at once.
    """
    ids = [kpi_ids] if isinstance(kpi_ids, str) else list(kpi_ids)
    sql = """
        with k as (select kpi_id, area_level from kpis where list_contains(?::varchar[], kpi_id)),
        latest as (
            select o.kpi_id, o.area_code, arg_max(o.value, o.period_end) as value
            from observations_as_of(?) o join k on k.kpi_id = o.kpi_id and o.area_level = k.area_level
            where o.period_end <= ?::date
            group by o.kpi_id, o.area_code
        ),
        base as (
            select k.kpi_id, a.prefecture_code, a.area_code from areas a join k on a.level = k.area_level
        )
        select b.kpi_id, p.prefecture_code, p.name as prefecture, count(b.area_code) as areas,
               count(l.area_code) as reporting, count(l.area_code) filter (where l.value > 0) as adopted,
               count(l.area_code) filter (where l.value > 0) / nullif(count(l.area_code), 0) as rate
        from areas p
        join base b on b.prefecture_code = p.prefecture_code
        left join latest l on l.kpi_id = b.kpi_id and l.area_code = b.area_code
        where p.level = 'prefecture'
        group by b.kpi_id, p.prefecture_code, p.name order by b.kpi_id, p.prefecture_code
    """
    return con.execute(sql, [ids, as_of, as_of]).df()


def municipality_ranking(con: duckdb.DuckDBPyConnection, as_of: dt.date, prefecture_code: str | None,
                         search: str | None) -> pd.DataFrame:
    """Municipalities by the number of municipality-level KPIs they have adopted."""
    sql = """
        with latest as (
            select o.area_code, o.kpi_id, arg_max(o.value, o.period_end) as value
            from observations_as_of(?) o join kpis k using (kpi_id)
            where k.area_level = 'municipality' and o.area_level = 'municipality' and o.period_end <= ?::date
            group by o.area_code, o.kpi_id
        )
        select a.area_code, a.name, a.prefecture, a.kind,
               count(l.kpi_id) filter (where l.value > 0) as adopted_kpis, count(l.kpi_id) as reported_kpis
        from areas a left join latest l using (area_code)
        where a.level = 'municipality' and (? is null or a.prefecture_code = ?)
          and (? is null or a.name like '%' || ? || '%' or a.name_kana like '%' || ? || '%')
        group by all order by adopted_kpis desc, a.area_code
    """
    s = search or None
    return con.execute(sql, [as_of, as_of, prefecture_code, prefecture_code, s, s, s]).df()


def prefectures(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("select prefecture_code, name from areas where level = 'prefecture' order by 1").df()


def municipalities(con: duckdb.DuckDBPyConnection, prefecture_code: str) -> pd.DataFrame:
    sql = "select area_code, name from areas where level = 'municipality' and prefecture_code = ? order by area_code"
    return con.execute(sql, [prefecture_code]).df()


def municipality_profile(con: duckdb.DuckDBPyConnection, area_code: str, as_of: dt.date) -> pd.DataFrame:
    """Each municipality-level KPI: adopted by this municipality (since when), and the prefecture and national rates."""
    sql = """
        with k as (select kpi_id, name, measure_no from kpis where area_level = 'municipality'),
        obs as (
            select o.kpi_id, o.area_code, o.period, o.period_end, o.value
            from observations_as_of(?) o join k using (kpi_id)
            where o.area_level = 'municipality' and o.period_end <= ?::date
        ),
        mine as (
            select kpi_id, arg_max(value, period_end) as latest,
                   min(period) filter (where value > 0) as since
            from obs where area_code = ? group by kpi_id
        ),
        latest as (select kpi_id, area_code, arg_max(value, period_end) as value from obs group by all),
        pref as (
            select l.kpi_id, avg((l.value > 0)::int) as pref_rate
            from latest l join areas a using (area_code)
            where a.prefecture_code = (select prefecture_code from areas where area_code = ?) group by l.kpi_id
        ),
        nation as (select kpi_id, avg((value > 0)::int) as national_rate from latest group by kpi_id)
        select k.kpi_id, k.name, k.measure_no, mine.latest > 0 as adopted, mine.since, pref.pref_rate, nation.national_rate
        from k join nation using (kpi_id)
        left join mine using (kpi_id) left join pref using (kpi_id)
        order by k.kpi_id
    """
    return con.execute(sql, [as_of, as_of, area_code, area_code]).df()


def municipality_points(con: duckdb.DuckDBPyConnection, kpi_id: str, as_of: dt.date) -> pd.DataFrame:
    """Every municipality with its coordinates and whether it has adopted (for the dot map)."""
    sql = """
        with latest as (
            select area_code, arg_max(value, period_end) as value from observations_as_of(?)
            where kpi_id = ? and area_level = 'municipality' and period_end <= ?::date group by area_code)
        select a.area_code, a.name, a.prefecture, a.prefecture_code, a.lat, a.lon,
               case when l.value > 0 then '実施済' when l.value is not null then '未実施' else 'データなし' end as state
        from areas a left join latest l using (area_code) where a.level = 'municipality'
    """
    return con.execute(sql, [as_of, kpi_id, as_of]).df()
