"""Queries of the monthly meeting workbook (exports/monthly.py): the KPI rows with this meeting's and the
previous meeting's readings and the offices' commentary, and what the cover, the schedule and the
municipal sheets list. A ministry's edition passes `ministry`: the same queries, filtered to the measures
it leads (a co-led measure belongs to each of its leads: the one counting rule of the workbook)."""
from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd


def report_rows(con: duckdb.DuckDBPyConnection, as_of: dt.date, previous: dt.date,
                ministry: str | None = None) -> pd.DataFrame:
    """One row per measure × KPI (national), measures in plan order: this meeting's reading (as of as_of)
    and the previous meeting's (as of previous), the change, and the commentary in force."""
    sql = """
        with now as (select * from kpi_status_as_of($as_of, national_only := true) where kind in ('progress', 'effect')),
        prev as (select * from kpi_status_as_of($previous, national_only := true)),
        said as (  -- the latest commentary on the national row, whatever month it was written for
            select * from kpi_comments_as_of($as_of) where area_code = '000000'
            qualify row_number() over (partition by kpi_id order by period desc, known_at desc) = 1
        ),
        src as (  -- distinct pairs first: a handful of sources over millions of rows
            select kpi_id, string_agg(source, ' / ' order by source) as sources
            from (select distinct kpi_id, source from observations_as_of($as_of)
                  where source is not null and area_code = '000000')
            group by kpi_id
        )
        select m.measure_no, m.title, m.lead_ministries, coalesce(m.pillar, '(柱なし)') as pillar,
               coalesce(pl.short_name, '(柱なし)') as pillar_short, coalesce(pl.sort_order, 999) as pillar_order,
               case when md.direction_no > 0 then chr(9311 + md.direction_no) || ' ' else '' end
                   || coalesce(md.direction, '(対応なし)') as direction,
               coalesce(md.direction_no, 99) as direction_order,
               n.kpi_id, n.kind, n.name, k.source_text, k.target_text, n.unit, n.base_value, n.base_period,
               n.latest_value, n.latest_period, n.latest_date, n.target_value, n.target_fy, n.target_date,
               n.achievement_ratio, n.status_rule, n.status, s.label as status_label, s.icon as status_icon,
               s.color as status_color, s.sort_order as status_order, s.judged, s.family,
               p.latest_value as prev_value, p.latest_period as prev_period,
               p.status as prev_status, ps.label as prev_label, ps.icon as prev_icon,
               p.latest_period is distinct from n.latest_period and n.latest_period is not null as new_data,
               -- better / worse only within a family: judged statuses by rank, trend readings by rank
               case when p.status is null then 'new'
                    when p.status = n.status then 'same'
                    when (s.judged and ps.judged) or (s.family = 'trend' and ps.family = 'trend'
                                                      and 'trend_unknown' not in (s.code, ps.code))
                        then case when s.rank > ps.rank then 'better' else 'worse' end
                    else 'changed'
               end as change,
               n.status_reason, sm.label as method_label, src.sources, n.includes_synthetic,
               c.progress, c.next_steps, c.office, c.period as comment_period
        from now n
        join kpis k using (kpi_id)
        join measures m on m.measure_no = n.measure_no
        left join pillars pl on pl.name = m.pillar
        left join measure_directions md on md.measure_no = m.measure_no and md.role = 'primary'
        join statuses s on s.code = n.status
        join status_methods sm on sm.method = n.status_method
        left join prev p using (kpi_id)
        left join statuses ps on ps.code = p.status
        left join src using (kpi_id)
        left join said c using (kpi_id)
        where $ministry is null or list_contains(m.lead_ministries, $ministry)
        order by m.measure_no, case n.kind when 'progress' then 0 else 1 end, n.kpi_id
    """
    rows = con.execute(sql, {"as_of": as_of, "previous": previous, "ministry": ministry}).df()
    # a move from 達成・順調 into 要対応 is a worsening the meeting must see, whatever the families
    # (予定どおり → 期限後の実績未報告), and the move back an improvement; a first reading (データなし →
    # 未達) is neither
    from warehouse.attention import ATTENTION

    good = rows["status"].map(lambda c: c not in ATTENTION) & (rows["family"] == "target")
    was_good = rows["prev_status"].isin(set(statuses_of(con, "target")) - set(ATTENTION))
    now_bad, was_bad = rows["status"].isin(ATTENTION), rows["prev_status"].isin(ATTENTION)
    rows.loc[(rows["change"] == "changed") & now_bad & was_good, "change"] = "worse"
    rows.loc[(rows["change"] == "changed") & good & was_bad, "change"] = "better"
    return rows


def statuses_of(con: duckdb.DuckDBPyConnection, family: str) -> list[str]:
    return [r[0] for r in con.execute("select code from statuses where family = ?", [family]).fetchall()]


def ministries(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Ministries in the official order of the reference data (those that lead a measure)."""
    return [r[0] for r in con.execute(
        "select name from ministries where not is_group and lead_measures > 0 order by sort_order").fetchall()]


def pillars(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Pillars in the plan's order, with their short names."""
    return con.execute("select name, coalesce(short_name, name) as short_name from pillars order by sort_order").df()


def data_as_of(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> dt.date | None:
    """The day the newest value the report uses became known."""
    row = con.execute("select max(known_at)::date from observations_history where known_at < ?::date + 1", [as_of]).fetchone()
    return row[0]


def adoption_matrix(con: duckdb.DuckDBPyConnection, as_of: dt.date, ministry: str | None = None) -> pd.DataFrame:
    """Adoption rate per municipality-level KPI × prefecture (long form), as the 市区町村別 page shows it;
    only the KPIs of the ministry's measures when given."""
    from warehouse import area_queries

    kpis = area_queries.municipal_kpis(con)
    if ministry:
        mine = {r[0] for r in con.execute(
            "select k.kpi_id from kpis k join measures m using (measure_no) where list_contains(m.lead_ministries, ?)",
            [ministry]).fetchall()}
        kpis = kpis[kpis["kpi_id"].isin(mine)]
    return area_queries.prefecture_adoption(con, kpis["kpi_id"].tolist(), as_of)


def sources(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The titles of the source documents, in file order."""
    return [r[0] for r in con.execute("select coalesce(title, file) from sources order by file").fetchall()]


def item_reports(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> dict[str, tuple[str, str]]:
    """Schedule item → (state, period) as the ministries last reported it in the data call by as_of."""
    return {i: (s, p) for i, s, p in con.execute("select item_id, state, period from schedule_reports_as_of(?)",
                                                  [as_of]).fetchall()}
