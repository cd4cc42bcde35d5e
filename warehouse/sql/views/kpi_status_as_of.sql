-- kpi_status_as_of(d): the status of every KPI × area as known at the end of day d (docs/methodology.md).
create or replace macro kpi_status_as_of(as_of) as table
with kpis as (
    select kpi_id, measure_no, section_no, kind, name, unit, target_kind, target_value, target_fy, target_date,
           target_timing, comparator, base_fy, target_factor, direction, area_level as kpi_level, aggregation
    from core.kpis
),
obs as (
    select kpi_id, area_code, area_level, period, fiscal_year, month, period_end, value, is_synthetic
    from observations_as_of(as_of)
    where period_end <= cast(as_of as date)
),
-- Values reported per area add up to the national value as kpis.aggregation says. The per-area totals
-- come from core.area_totals (kept by every write), not from a scan of every area's values.
aggregated as (
    select
        t.kpi_id, '000000' as area_code, 'national' as area_level, t.period,
        any_value(t.fiscal_year) as fiscal_year, any_value(t.month) as month, any_value(t.period_end) as period_end,
        cast(case any_value(k.aggregation)
            when 'sum' then sum(t.d_sum)
            when 'count' then sum(t.d_positive)
            when 'mean' then sum(t.d_sum) / sum(t.d_count)
        end as double) as value,
        sum(t.d_synthetic) > 0 as is_synthetic
    from core.area_totals t
    join kpis k using (kpi_id)
    where t.changed_at < cast(as_of as date) + interval 1 day and t.period_end <= cast(as_of as date)
      and k.aggregation in ('sum', 'count', 'mean') and k.kpi_level <> 'national' and t.area_level = k.kpi_level
    group by t.kpi_id, t.period
    having sum(t.d_count) > 0
),
series as (
    select o.* from obs o
    anti join aggregated a on a.kpi_id = o.kpi_id and a.period = o.period
    where o.area_code = '000000'
    union all by name
    select * from aggregated
    union all by name
    select o.* from obs o where o.area_code <> '000000'
),
-- One pass of arg_min/arg_max per series (no window over the rows): at national scale this is the
-- difference between seconds and a minute. Ties on period_end (FY2020 and 2021-03) go to the larger period.
ends as (
    select
        s.kpi_id, s.area_code,
        any_value(s.area_level) as area_level,
        count(*) as n_obs,
        arg_max({'value': s.value, 'period': s.period, 'period_end': s.period_end, 'fiscal_year': s.fiscal_year},
                {'period_end': s.period_end, 'period': s.period}) as latest,
        arg_min({'value': s.value, 'period': s.period, 'period_end': s.period_end, 'fiscal_year': s.fiscal_year},
                {'period_end': s.period_end, 'period': s.period}) as first,
        -- the base year's value is its last observation within that fiscal year
        arg_max({'value': s.value, 'period': s.period, 'period_end': s.period_end},
                {'period_end': s.period_end, 'period': s.period}) filter (where s.fiscal_year = k.base_fy) as base,
        bool_and(s.value in (0, 1)) as is_flag_series,
        bool_or(s.is_synthetic) as includes_synthetic
    from series s
    join kpis k using (kpi_id)
    group by s.kpi_id, s.area_code
),
summary as (
    select
        kpi_id, area_code, area_level, n_obs,
        latest.value as latest_value, latest.period as latest_period, latest.period_end as latest_end,
        latest.fiscal_year as latest_fy,
        first.value as first_value, first.period as first_period, first.period_end as first_end,
        first.fiscal_year as first_fy,
        base.value as base_year_value, base.period as base_year_period, base.period_end as base_year_end,
        is_flag_series, includes_synthetic
    from ends
),
keys as (  -- every KPI has a national row, with data or not
    select kpi_id, area_code from summary
    union
    select kpi_id, '000000' from kpis
),
resolved as (
    select
        k.*,
        keys.area_code,
        coalesce(s.area_level, 'national') as area_level,
        coalesce(s.n_obs, 0) as n_obs,
        s.latest_value, s.latest_period, s.latest_end, s.latest_fy,
        s.is_flag_series,
        coalesce(s.includes_synthetic, false) as includes_synthetic,
        k.base_fy is not null and s.base_year_value is not null as has_base_year_value,
        case when k.base_fy is not null and s.base_year_value is not null then s.base_year_value else s.first_value end as y0,
        case when k.base_fy is not null and s.base_year_value is not null then s.base_year_end else s.first_end end as t0,
        case when k.base_fy is not null and s.base_year_value is not null then k.base_fy else s.first_fy end as base_fy_used,
        case when k.base_fy is not null and s.base_year_value is not null then s.base_year_period else s.first_period end as base_period,
        case when k.target_kind = 'relative' then s.base_year_value * k.target_factor else k.target_value end as target,
        case when k.direction = 'decrease' then -1 else 1 end as d
    from keys
    join kpis k using (kpi_id)
    left join summary s using (kpi_id, area_code)
),
judged as (
    select
        r.*,
        years_between(r.t0, r.latest_end) as years_done,
        years_between(r.t0, r.target_date) as years_total,
        case
            -- areas below the nation: the targets are national, so an area gets adoption or a trend
            when r.area_code <> '000000' and r.aggregation in ('sum', 'count') and r.is_flag_series
                then case when r.latest_value > 0 then 'achieved' else 'not_adopted' end
            when r.area_code <> '000000' then case when r.n_obs = 0 then 'no_data' else 'no_target' end
            else kpi_judgement(r.n_obs, r.y0, r.t0, r.latest_value, r.latest_end, r.target, r.target_date, r.d,
                               r.comparator, r.target_kind, r.target_timing,
                               r.target_kind = 'relative' and not r.has_base_year_value, cast(as_of as date))
        end as status
    from resolved r
),
final as (
    select
        j.kpi_id, j.measure_no, j.section_no, j.kind, j.name, j.unit, j.area_code, j.area_level,
        cast(as_of as date) as as_of,
        j.base_fy_used as base_fy, j.base_period, j.t0 as base_date, j.y0 as base_value,
        j.latest_fy, j.latest_period, j.latest_end as latest_date, j.latest_value,
        j.target as target_value, j.target_fy, j.target_date, j.direction,
        case when j.target is not null and j.target <> j.y0 then (j.latest_value - j.y0) / (j.target - j.y0) end
            as achievement_ratio,
        case when j.years_total > 0 then least(greatest(j.years_done / j.years_total, 0), 1) end as elapsed_share,
        growth_ratio(j.y0, j.latest_value, j.years_done, j.target, j.years_total, j.d) as growth_ratio,
        j.d * cagr(j.y0, j.latest_value, j.years_done) as cagr_actual,
        j.d * cagr(j.y0, j.target, j.years_total) as cagr_required,
        trend_class(signed_trend(j.y0, j.latest_value, j.years_done, j.d)) as trend,
        j.status,
        st.label as status_label,
        st.icon as status_icon,
        case
            when j.status = 'no_data' then 'この時点までに実績値がありません'
            when j.status = 'no_base' then '相対目標の基準年度(' || j.base_fy || '年度)の実績値がありません'
            when j.status = 'single_point' then '実績値が1時点のみで、伸び率を計算できません'
            when j.status = 'not_adopted' then 'この団体は未実施です(最新値 0)'
            when j.status = 'achieved' and j.area_code <> '000000' then 'この団体は実施済みです'
            when j.status = 'achieved' then '最新値 ' || j.latest_value || ' が目標 ' || round(j.target, 2) || ' に到達'
            when j.status = 'no_target' and j.target_kind in ('absolute', 'relative') and j.target_date is null
                then '目標年度が定められていないため進捗率を計算できません(傾向のみ)'
            when j.status = 'no_target' and j.area_code <> '000000' then '目標は全国値に対するもので、団体別には傾向のみ表示します'
            when j.status = 'no_target' then '目標値がないため傾向のみ表示します'
            when j.target_timing = 'annual' then '年間目標 ' || j.target || ' に対し最新値 ' || j.latest_value
            when cast(as_of as date) > j.target_date
                then '目標期限(' || j.target_date || ')を過ぎて未達成(R=' || round(growth_ratio(j.y0, j.latest_value, j.years_done, j.target, j.years_total, j.d), 2) || ')'
            else 'R=' || round(growth_ratio(j.y0, j.latest_value, j.years_done, j.target, j.years_total, j.d), 2)
                 || '(実績 ' || coalesce(round(100 * j.d * cagr(j.y0, j.latest_value, j.years_done), 1) || '%/年', '線形')
                 || '、必要 ' || coalesce(round(100 * j.d * cagr(j.y0, j.target, j.years_total), 1) || '%/年', '線形') || ')'
        end as status_reason,
        linear_class(
            case when j.target is not null and j.target <> j.y0 then (j.latest_value - j.y0) / (j.target - j.y0) end,
            case when j.years_total > 0 then least(greatest(j.years_done / j.years_total, 0), 1) end
        ) as linear_status,
        j.n_obs,
        j.includes_synthetic
    from judged j
    left join core.statuses st on st.code = j.status
)
select
    *,
    -- the two readings disagree when one says on track (or better) and the other does not
    status in ('achieved', 'on_track', 'acceleration_needed', 'limited', 'deterioration') and linear_status is not null
        and (status in ('achieved', 'on_track')) <> (linear_status in ('achieved', 'on_track')) as methods_disagree
from final;
