"""Every query the pages run, as small functions of (connection, filters) → DataFrame.

Pages call these and render the result; no SQL lives in pages. Parameters are
bound with ?, never formatted into the SQL text.
"""
from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from etl.reference import similarity_settings


def pillars(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Official pillar names in their order."""
    return [r[0] for r in con.execute("select name from pillars order by sort_order").fetchall()]


def pillar_short_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Official pillar name → the short name the pages use (オープンデータ, …)."""
    return dict(con.execute("select name, short_name from pillars").fetchall())


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
          and (? is null or contains(lower(title), lower(?)))  -- plain text: % and _ are not wildcards
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


def last_load(con: duckdb.DuckDBPyConnection) -> dt.datetime | None:
    """When the latest batch of values was loaded (JST), None before the first: every page shows it, so a
    reader knows how fresh the figures are and sees a load arrive."""
    return con.execute("select max(loaded_at) from obs_batches").fetchone()[0]


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


# ---------------------------------------------------------------- dates and labels


def default_as_of(con: duckdb.DuckDBPyConnection, today: dt.date | None = None) -> dt.date:
    """The report date a page opens with: a month-end, as the monthly meeting reports. The end of the month
    in which the latest value was loaded (so that every loaded value counts), or today while that month
    runs; with nothing loaded, the last month-end before today."""
    today = today or dt.date.today()
    # the batch headers hold the load times: no need to read the rows
    loaded = con.execute("select max(loaded_at)::date from core.obs_batches where rows_loaded > 0").fetchall()[0][0]
    if loaded is None:
        return today.replace(day=1) - dt.timedelta(days=1)
    month_end = (loaded.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return min(month_end, today)


def statuses(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("select code, label, icon, color, sort_order, judged, family, rank, description from statuses order by sort_order").df()


# ---------------------------------------------------------------- overview


def status_counts(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    """National KPI statuses counted per kind (進捗/効果) and KPI family (target: KPIs with a target; trend:
    目標なし・傾向), every status of the family present (zero counts included)."""
    sql = """
        with ks as (select kind, status, case when status_rule = 'trend' then 'trend' else 'target' end as kpi_family
                    from kpi_status_as_of(?, national_only := true) where kind in ('progress', 'effect'))
        select k.kind, f.kpi_family, s.code as status, s.label, s.icon, s.color, s.sort_order, s.judged,
               count(ks.status) as kpis
        from statuses s cross join (values ('progress'), ('effect')) k(kind)
        join (values ('target'), ('trend')) f(kpi_family)
            on s.family in (f.kpi_family, 'none') or (f.kpi_family = 'target' and s.family = 'trend')
        left join ks on ks.status = s.code and ks.kind = k.kind and ks.kpi_family = f.kpi_family
        where s.code <> 'not_adopted' and not (f.kpi_family = 'trend' and s.code = 'no_base')
        group by all
        having count(ks.status) > 0 or s.family = f.kpi_family or s.code = 'no_data'
        order by k.kind desc, f.kpi_family, s.sort_order
    """
    return con.execute(sql, [as_of]).df()


def measure_matrix(con: duckdb.DuckDBPyConnection, as_of: dt.date, pillar: str | None = None,
                   ministry: str | None = None) -> pd.DataFrame:
    """One row per measure: its 進捗 and 効果 status (codes, labels, roll-up ranks, families) and pillar."""
    sql = """
        select ms.measure_no, ms.title, coalesce(ms.pillar, '(柱なし)') as pillar,
               coalesce(p.short_name, '(柱なし)') as pillar_short,
               ms.lead_ministries, ms.progress_status, ms.progress_label, ms.progress_icon,
               ms.effect_status, ms.effect_label, ms.effect_icon, sp.rank as progress_rank,
               se.rank as effect_rank, sp.family as progress_family, se.family as effect_family,
               ms.includes_synthetic
        from measure_status_as_of(?) ms
        left join pillars p on p.name = ms.pillar
        join statuses sp on sp.code = ms.progress_status
        join statuses se on se.code = ms.effect_status
        where (? is null or ms.pillar = ?) and (? is null or list_contains(ms.ministries, ?))
        order by ms.measure_no
    """
    return con.execute(sql, [as_of, pillar, pillar, ministry, ministry]).df()


# ---------------------------------------------------------------- KPI tables


def kpi_table(con: duckdb.DuckDBPyConnection, as_of: dt.date, measure_nos: list[int]) -> pd.DataFrame:
    """National status of the KPIs of some measures, with their national series (for sparklines)."""
    sql = """
        with series as (
            select kpi_id, list(value order by period_end) as series
            from observations_as_of(?) where area_code = '000000' and period_end <= ?::date
            group by kpi_id
        ),
        aggregated as (  -- KPIs counted per area: the national series is the sum over areas
            select o.kpi_id, list(v order by pe) as series from (
                select o.kpi_id, o.period_end as pe, sum(o.value) as v
                from observations_as_of(?) o join kpis k using (kpi_id)
                where o.area_level = k.area_level and k.area_level <> 'national' and o.period_end <= ?::date
                group by o.kpi_id, o.period_end) o
            group by o.kpi_id
        )
        select ks.measure_no, m.title, ks.kpi_id, ks.kind, ks.name, ks.unit, ks.base_value, ks.latest_period, ks.latest_value,
               ks.target_value, ks.target_fy, ks.achievement_ratio, ks.growth_ratio, ks.status, ks.status_label,
               ks.status_icon, ks.status_reason, ks.includes_synthetic, ks.status_family, ks.status_rule,
               ks.projected_value, ks.projected_reach_date, ks.reaches_by_deadline, st.rank, st.sort_order,
               coalesce(a.series, s.series) as series
        from kpi_status_as_of(?, national_only := true) ks
        join measures m using (measure_no)
        join statuses st on st.code = ks.status
        left join series s using (kpi_id)
        left join aggregated a using (kpi_id)
        where ks.area_code = '000000' and ks.kind in ('progress', 'effect', 'reference') and list_contains(?, ks.measure_no)
        order by st.rank, ks.measure_no, ks.kind desc, ks.kpi_id
    """
    return con.execute(sql, [as_of, as_of, as_of, as_of, as_of, list(measure_nos)]).df()


def measures_of(con: duckdb.DuckDBPyConnection, ministry: str | None = None, lead_only: bool = False,
                pillar: str | None = None) -> list[int]:
    sql = """select measure_no from measures
             where (? is null or list_contains(case when ? then lead_ministries else ministries end, ?))
               and (? is null or pillar = ?) order by measure_no"""
    return [r[0] for r in con.execute(sql, [ministry, lead_only, ministry, pillar, pillar]).fetchall()]


def ministry_comparison(con: duckdb.DuckDBPyConnection, as_of: dt.date, role: str) -> pd.DataFrame:
    """KPI status counts per ministry (no groups), for the comparison bar."""
    sql = """
        select ms.ministry, ms.kind, ms.status, ms.status_label, s.color, s.sort_order, s.family, ms.kpis
        from ministry_status_as_of(?) ms
        join ministries m on m.name = ms.ministry and not m.is_group
        join statuses s on s.code = ms.status
        where ms.role = ?
        order by m.sort_order, ms.kind desc, s.sort_order
    """
    return con.execute(sql, [as_of, role]).df()


def pillar_comparison(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    sql = """
        select ps.pillar, coalesce(p.short_name, ps.pillar) as pillar_short, ps.kind, ps.status, ps.status_label,
               s.color, s.sort_order, s.family, ps.kpis, coalesce(p.sort_order, 99) as pillar_order
        from pillar_status_as_of(?) ps
        left join pillars p on p.name = ps.pillar
        join statuses s on s.code = ps.status
        order by pillar_order, ps.kind desc, s.sort_order
    """
    return con.execute(sql, [as_of]).df()


def pillar_ministry_matrix(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Measures per pillar × lead ministry."""
    sql = """
        select coalesce(p.short_name, '(柱なし)') as pillar, mm.ministry, count(*) as measures,
               coalesce(p.sort_order, 99) as pillar_order, mi.sort_order as ministry_order
        from measure_ministries mm
        join measures m using (measure_no)
        left join pillars p on p.name = m.pillar
        join ministries mi on mi.name = mm.ministry
        where mm.is_lead
        group by all order by pillar_order, ministry_order
    """
    return con.execute(sql).df()


# ---------------------------------------------------------------- measure detail


def measure(con: duckdb.DuckDBPyConnection, measure_no: int) -> dict | None:
    df = con.execute("select * from measures where measure_no = ?", [measure_no]).df()
    return None if df.empty else df.iloc[0].to_dict()


def measure_options(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("select measure_no, title from measures order by measure_no").df()


def measure_kpi_detail(con: duckdb.DuckDBPyConnection, as_of: dt.date, measure_no: int) -> pd.DataFrame:
    """The national status rows of a measure's KPIs, with the dates the time-series chart needs."""
    sql = """select s.kpi_id, s.kind, s.name, s.unit, s.base_value, s.base_date as base_end, s.latest_value,
                    s.latest_date as latest_end, s.latest_period, s.target_value, s.target_date, s.status, s.status_label,
                    s.status_icon, s.status_reason, s.status_rule, s.pace_basis, s.projected_value, s.projected_reach_date,
                    s.reaches_by_deadline, k.source_text, k.target_text, k.area_level, sm.label as method_label,
                    st.rank as status_rank, st.family as status_family
             from kpi_status_as_of(?, national_only := true) s
             join kpis k using (kpi_id)
             join status_methods sm on sm.method = s.status_method
             join statuses st on st.code = s.status
             where s.area_code = '000000' and s.measure_no = ?
             order by case s.kind when 'progress' then 0 when 'effect' then 1 else 2 end, s.kpi_id"""
    return con.execute(sql, [as_of, measure_no]).df()


def kpi_series(con: duckdb.DuckDBPyConnection, kpi_id: str, as_of: dt.date) -> pd.DataFrame:
    """The national series of a KPI as known at as_of (summed over areas for KPIs reported per area)."""
    sql = """
        with k as (select * from kpis where kpi_id = ?),
        per_area as (
            select o.period, o.period_end, sum(o.value) as value, bool_or(o.is_synthetic) as is_synthetic,
                   'aggregated' as origin, null as quote, null as location, null as source
            from observations_as_of(?) o join k using (kpi_id)
            where o.area_level = k.area_level and k.area_level <> 'national' and o.period_end <= ?::date
            group by o.period, o.period_end
        ),
        national as (
            select o.period, o.period_end, o.value, o.is_synthetic, o.origin, o.quote, o.location, o.source
            from observations_as_of(?) o
            where o.kpi_id = ? and o.area_code = '000000' and o.period_end <= ?::date
              and o.period not in (select period from per_area)
        )
        select * from per_area union all select * from national order by period_end
    """
    return con.execute(sql, [kpi_id, as_of, as_of, as_of, kpi_id, as_of]).df()


def related_schedule_items(con: duckdb.DuckDBPyConnection, measure_no: int, limit: int = 5) -> pd.DataFrame:
    """工程表 items whose title is most like the measure's title (Jaccard of character bigrams).

    The sources link no item to a measure: this is a suggestion, and the page says so. Bigrams that
    are too common (data/reference/similarity.yaml) are left out.
    """
    stop, threshold = similarity_settings()
    sql = """
        with m as (select title from measures where measure_no = ?),
        grams as (
            select i.item_id, i.section, i.title, i.ministries, i.start_fy, i.end_fy, i.phase,
                   list_filter(list_distinct(list_transform(range(length(i.title) - 1), lambda x: substr(i.title, x + 1, 2))),
                               lambda g: not list_contains(?::varchar[], g)) as g,
                   (select list_filter(list_distinct(list_transform(range(length(m.title) - 1), lambda x: substr(m.title, x + 1, 2))),
                                       lambda g: not list_contains(?::varchar[], g)) from m) as mg
            from schedule_items i
        ),
        scored as (
            select *, len(list_intersect(g, mg)) / greatest(len(list_distinct(list_concat(g, mg))), 1)::double as similarity
            from grams
        )
        select item_id, section, title, ministries, start_fy, end_fy, phase, similarity
        from scored where similarity >= ? order by similarity desc, item_id limit ?
    """
    return con.execute(sql, [measure_no, stop, stop, threshold, limit]).df()


# ---------------------------------------------------------------- schedule


def schedule(con: duckdb.DuckDBPyConnection, ministry: str | None = None) -> pd.DataFrame:
    sql = """select item_id, section_no, section, title, ministries, start_fy, end_fy, phase
             from schedule_items where (? is null or list_contains(ministries, ?)) order by item_id"""
    return con.execute(sql, [ministry, ministry]).df()


def schedule_ministries(con: duckdb.DuckDBPyConnection) -> list[str]:
    sql = """select distinct m from schedule_items, unnest(ministries) as t(m)
             join ministries mi on mi.name = m order by all"""
    return [r[0] for r in con.execute(sql).fetchall()]


# ---------------------------------------------------------------- data quality


def quality_issues(con: duckdb.DuckDBPyConnection, severity: str | None = None) -> pd.DataFrame:
    sql = """select coalesce(s.title, q.source) as source, q.location, q.kind, q.severity, q.entity_id, q.message
             from quality_issues q left join sources s on s.file = q.source
             where (? is null or q.severity = ?) order by q.issue_id"""
    return con.execute(sql, [severity, severity]).df()


def quarantine(con: duckdb.DuckDBPyConnection, limit: int = 500) -> pd.DataFrame:
    return con.execute("select * from obs_quarantine order by batch_id desc, row_number limit ?", [limit]).df()


def batches(con: duckdb.DuckDBPyConnection, limit: int = 50) -> pd.DataFrame:
    sql = """select batch_id, file_name, loaded_at, loaded_by, mode, rows_total, rows_loaded, rows_rejected,
                    case when is_synthetic then '合成データ' else '' end as is_synthetic
             from obs_batches order by batch_id desc limit ?"""
    return con.execute(sql, [limit]).df()


def coverage(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per KPI with data: areas, periods and stored values (revisions included), first and last period.

    Read from the coverage every write keeps (core.obs_coverage, core.obs_periods), plus the few values
    read from the documents: a scan of every stored value took 4 s at 100 M rows."""
    sql = """
        with cells as (
            select kpi_id, area_code, stored_values, first_period, last_period, synthetic from core.obs_coverage
            union all
            select kpi_id, area_code, count(*), min(period), max(period), false
            from core.document_observations group by kpi_id, area_code
        ),
        periods as (
            select kpi_id, count(distinct period) as periods from (
                select kpi_id, period from core.obs_periods
                union all
                select kpi_id, period from core.document_observations
            ) group by kpi_id
        )
        select c.kpi_id, any_value(k.name) as name, any_value(k.area_level) as area_level,
               count(distinct c.area_code) as areas, any_value(p.periods) as periods,
               sum(c.stored_values)::bigint as stored_values,
               min(c.first_period) as first_period, max(c.last_period) as last_period, bool_or(c.synthetic) as synthetic
        from cells c join kpis k using (kpi_id) join periods p using (kpi_id)
        group by c.kpi_id order by c.kpi_id
    """
    return con.execute(sql).df()


def coverage_summary(con: duckdb.DuckDBPyConnection) -> dict:
    sql = """select (select count(*) from kpis where kind in ('progress', 'effect')),
                    (select count(*) from kpis k where k.kind in ('progress', 'effect')
                     and (exists (select 1 from core.observations o where o.kpi_id = k.kpi_id)
                          or exists (select 1 from core.document_observations d where d.kpi_id = k.kpi_id))),
                    (select count(*) from kpis where kind in ('progress', 'effect') and has_target)"""
    total, with_data, with_target = con.execute(sql).fetchone()
    return {"kpis": total, "with_data": with_data, "with_target": with_target}
