"""What needs attention (要対応) and what the warehouse holds: the queries of the overview's first screen."""
from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

# Statuses that ask for action, worst first: judged behind or against the target, a deadline missed or
# its result not reported, a target met on time and lost since.
ATTENTION = ("deterioration", "missed", "limited", "acceleration_needed", "awaiting_result", "achieved_then_fell")


# The readings the 進捗 × 効果 matrix crosses, from a measure's roll-up status of each kind: what asks for
# action, what is on course, a direction only (no target), nothing to judge yet. Four, so that the
# matrix reads at a glance on a phone; the cell's measures show their full statuses.
GROUPS = {"attention": "要対応", "good": "達成・順調", "trend": "目標なし・傾向", "none": "データなし・不足"}


def status_group(code: str, family: str) -> str:
    if code in ATTENTION:
        return "attention"
    return {"target": "good", "trend": "trend"}.get(family, "none")


def with_groups(matrix: pd.DataFrame) -> pd.DataFrame:
    """queries.measure_matrix with the reading (GROUPS) of each measure's 進捗 and 効果 status."""
    return matrix.assign(
        progress_group=[status_group(c, f) for c, f in zip(matrix["progress_status"], matrix["progress_family"])],
        effect_group=[status_group(c, f) for c, f in zip(matrix["effect_status"], matrix["effect_family"])])


def outcome_cells(matrix: pd.DataFrame) -> pd.DataFrame:
    """Measures counted per 進捗 group × 効果 group (every one of the 16 cells, zero included), with the
    measure numbers of each cell; `matrix` is queries.measure_matrix."""
    d = with_groups(matrix)
    grid = pd.MultiIndex.from_product([list(GROUPS), list(GROUPS)], names=["progress_group", "effect_group"])
    cells = d.groupby(["progress_group", "effect_group"])["measure_no"].agg(list).reindex(grid)
    cells = cells.map(lambda v: v if isinstance(v, list) else []).rename("measure_nos").reset_index()
    return cells.assign(measures=cells["measure_nos"].map(len))


def in_cell(matrix: pd.DataFrame, progress_group: str | None, effect_group: str | None) -> pd.DataFrame:
    """The measures of one cell of the matrix (either group None: any), worst first."""
    d = with_groups(matrix)
    keep = pd.Series(True, index=d.index)
    if progress_group:
        keep &= d["progress_group"] == progress_group
    if effect_group:
        keep &= d["effect_group"] == effect_group
    return d[keep].sort_values(["progress_rank", "effect_rank", "measure_no"], kind="stable")


def kind_group(kpis: pd.DataFrame, kind: str) -> str | None:
    """The reading of a measure's KPIs of one kind for its logic model; None without KPIs. Any KPI that
    asks for action makes the link 要対応 (the measure roll-up ranks 期限後の実績未報告 after judgements,
    but a logic model must not call a link working while one of its KPIs is overdue); then a judgement
    on course, then a trend reading, then no data. `kpis`: rows with kind, status, status_family."""
    d = kpis[kpis["kind"] == kind]
    if d.empty:
        return None
    groups = {status_group(c, f) for c, f in zip(d["status"], d["status_family"])}
    return next(g for g in ("attention", "good", "trend", "none") if g in groups)


def logic_links(progress: str | None, effect: str | None, missing: dict[str, int] | None = None) -> list[tuple[str, str]]:
    """What each link of a measure's logic model (取組 → 進捗 → 効果 → 期待される効果) says, from the readings
    of its 進捗 and 効果 KPIs: (link, reading in Japanese). missing: per kind, how many KPIs have no data."""
    missing = missing or {}
    gap = {k: f"(うち{n}件は実績なし)" if n else "" for k, n in missing.items()}
    first = {"good": "取組は成果(アウトプット)につながっている", "attention": "取組の成果(アウトプット)に要対応のKPIがある",
             "trend": "進捗KPIに目標がなく、傾向のみ分かる", "none": "進捗の実績がまだない(報告待ち)",
             None: "進捗KPIが設定されていない"}[progress] + (gap.get("progress", "") if progress else "")
    other = {"trend": "目標がなく傾向のみ", "none": "実績がない", None: "KPIが設定されていない"}
    if effect is None:
        second = "効果KPIが設定されていない"
    elif (progress, effect) == ("good", "good"):
        second = "実施・効果とも順調"
    elif (progress, effect) == ("good", "attention"):
        second = "実施は順調だが効果が出ていない: 施策の効き目(効果が出る道筋)を点検する"
    elif (progress, effect) == ("attention", "good"):
        second = "効果は出ているが実施が遅れている: 実施の遅れの理由を確認する"
    elif (progress, effect) == ("attention", "attention"):
        second = "実施・効果とも要対応"
    elif effect == "attention":
        second = f"効果KPIが要対応(進捗は{other[progress]}のため、つながりは判定できない)"
    elif progress == "attention":
        second = f"実施に要対応のKPIがある(効果は{other[effect]}のため、つながりは判定できない)"
    else:
        lacking = [n for n, g in (("進捗", progress), ("効果", effect)) if g in ("none", None)]
        second = (f"{'・'.join(lacking)}の実績がないため、つながりを判定できない" if lacking
                  else "目標のないKPIがあるため、傾向のみ比べられる")
    return [("取組 → 進捗", first), ("進捗 → 効果", second + (gap.get("effect", "") if effect else "")),
            ("効果 → 期待される効果", "計画上の想定(データでは検証していない)")]


def needing_attention(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    """The national KPIs (進捗 and 効果) that need attention as of a date, worst first, with their measure,
    its ministries, latest value against the target, deadline, projection and the reason. One status
    evaluation for every ministry: `of_ministry` narrows it without another."""
    sql = """
        select k.measure_no, m.title, m.lead_ministries, m.ministries, k.kpi_id, k.kind, k.name, k.unit, k.status,
               st.label as status_label, st.icon as status_icon, st.rank, k.latest_value, k.latest_period,
               k.target_value, k.target_date, k.projected_value, k.projected_reach_date, k.reaches_by_deadline,
               k.status_reason, k.includes_synthetic
        from kpi_status_as_of(?, national_only := true) k
        join measures m using (measure_no)
        join statuses st on st.code = k.status
        where k.area_code = '000000' and k.kind in ('progress', 'effect') and list_contains(?, k.status)
        order by list_position(?, k.status), k.measure_no, k.kpi_id
    """
    return con.execute(sql, [as_of, list(ATTENTION), list(ATTENTION)]).df()


def of_ministry(df: pd.DataFrame, ministry: str | None, lead_only: bool = False) -> pd.DataFrame:
    """The rows of a ministry's measures (any involvement, or as lead); every row when ministry is None."""
    if ministry is None:
        return df
    column = df["lead_ministries"] if lead_only else df["ministries"]
    return df[column.map(lambda names: ministry in list(names))]


def holdings(con: duckdb.DuckDBPyConnection) -> dict:
    """What the warehouse holds, for the first screen: KPIs, how many have a target and a deadline, the
    figures the source documents quote, and the observations loaded (real and synthetic)."""
    row = con.execute("""
        select (select count(*) from kpis where kind in ('progress', 'effect')) as kpis,
               (select count(*) from kpis where kind in ('progress', 'effect') and has_target) as with_target,
               (select count(*) from kpis where kind in ('progress', 'effect') and has_target
                                              and target_date is not null) as with_deadline,
               (select count(*) from kpis where kind in ('progress', 'effect') and target_kind = 'milestone') as milestones,
               (select min(target_fy) from kpis where has_target) as first_target_fy,
               (select max(target_fy) from kpis where has_target) as last_target_fy,
               (select count(*) from core.document_observations) as document_figures,
               -- from the batch headers: counting the observations would scan every row on the first screen
               (select coalesce(sum(rows_loaded), 0) from core.obs_batches where not is_synthetic) as real_values,
               (select coalesce(sum(rows_loaded), 0) from core.obs_batches where is_synthetic) as synthetic_values,
               (select max(loaded_at) from core.obs_batches where rows_loaded > 0) as last_load
    """).df()
    return row.iloc[0].to_dict()


# A value is up to date while its period ended at most this long before the report date: a fiscal-year
# figure is reported some months after the year closes, so one year plus half a year of reporting lag.
UP_TO_DATE_DAYS = 548


def reporting_status(con: duckdb.DuckDBPyConnection, as_of: dt.date, by: str) -> pd.DataFrame:
    """Per lead ministry (by='ministry') or pillar (by='pillar'): how many plan KPIs there are, have a target,
    have data, are up to date, and the latest period reported — who owes which data, as a task list."""
    group = {"ministry": "unnest(m.lead_ministries)", "pillar": "coalesce(p.short_name, '(柱なし)')"}[by]
    sql = f"""
        with rows as (
            select {group} as name, k.*
            from kpi_status_as_of(?, national_only := true) k
            join measures m using (measure_no)
            left join pillars p on p.name = m.pillar
            where k.area_code = '000000' and k.kind in ('progress', 'effect')
        )
        select name, count(*) as kpis,
               count(*) filter (where k.status_rule <> 'trend') as with_target,
               count(*) filter (where k.n_obs > 0) as with_data,
               count(*) filter (where k.latest_date >= ?::date - to_days({UP_TO_DATE_DAYS})) as up_to_date,
               count(*) filter (where k.status_rule <> 'trend' and k.n_obs = 0) as target_without_data,
               max(k.latest_date) as latest_date
        from rows k
        group by name
        order by target_without_data desc, kpis desc, name
    """
    return con.execute(sql, [as_of, as_of]).df()
