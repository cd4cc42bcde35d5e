-- kpi_status_as_of(d): the status of every KPI × area as known at the end of day d (docs/methodology.md).
-- kpi_status_as_of(d, national_only := true): the national rows only, without reading every area's values
-- (a filter on area_code outside the macro cannot skip them: the per-area summary is built first).
create or replace macro kpi_status_as_of(as_of, national_only := false) as table
with kpis as (
    select k.kpi_id, k.measure_no, k.section_no, k.kind, k.name, k.unit, k.target_kind, k.target_value, k.target_fy,
           k.target_date, k.target_timing, k.comparator, k.base_fy, k.target_factor, k.direction,
           k.area_level as kpi_level, k.aggregation, m.status_method,
           {'on_track': m.on_track, 'acceleration_needed': m.acceleration_needed,
            'deterioration_below': m.deterioration_below, 'trend_improving': m.trend_improving,
            'trend_worsening': m.trend_worsening, 'maintain_tolerance': m.maintain_tolerance,
            'approx_tolerance': m.approx_tolerance, 'deadline_grace_days': m.deadline_grace_days} as p
    from core.kpis k
    join core.kpi_methods m using (kpi_id)
),
obs as (
    select kpi_id, area_code, area_level, period, fiscal_year, month, period_end, value, is_synthetic
    from observations_as_of(as_of)
    where period_end <= cast(as_of as date) and (not national_only or area_code = '000000')
),
-- Values reported per area add up to the national value as kpis.aggregation says. The per-area totals
-- come from core.area_totals (kept by every write), not from a scan of every area's values.
area_periods as (
    select
        t.kpi_id, '000000' as area_code, 'national' as area_level, t.period,
        any_value(t.fiscal_year) as fiscal_year, any_value(t.month) as month, any_value(t.period_end) as period_end,
        cast(case any_value(k.aggregation)
            when 'sum' then sum(t.d_sum)
            when 'count' then sum(t.d_positive)
            when 'mean' then sum(t.d_sum) / sum(t.d_count)
        end as double) as value,
        sum(t.d_synthetic) > 0 as is_synthetic,
        sum(t.d_count) as reported
    from core.area_totals t
    join kpis k using (kpi_id)
    where t.changed_at < cast(as_of as date) + interval 1 day and t.period_end <= cast(as_of as date)
      and k.aggregation in ('sum', 'count', 'mean') and k.kpi_level <> 'national' and t.area_level = k.kpi_level
    group by t.kpi_id, t.period
    having sum(t.d_count) > 0
),
-- A period only some areas have reported yet (a data call half collected: 3 of 47 prefectures) would add
-- up to a fraction of the nation and read as a collapse: a period enters the national series once the
-- areas reporting it are at least 90 % of the most that reported any earlier period of the KPI.
aggregated as (
    select * exclude (reported, most) from (
        select *, max(reported) over (partition by kpi_id order by period_end, period
                                      rows between unbounded preceding and 1 preceding) as most
        from area_periods)
    where most is null or reported >= 0.9 * most
),
series as (
    select o.* from obs o
    anti join aggregated a on a.kpi_id = o.kpi_id and a.period = o.period
    where o.area_code = '000000'
    union all by name
    select * from aggregated
    union all by name
    select o.* from obs o where o.area_code <> '000000' and not national_only
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
        -- the first value at or after the deadline judges whether the target was met on time (on a tie
        -- of period_end, the fiscal year before its March, as for the latest value)
        arg_min({'value': s.value, 'period': s.period, 'period_end': s.period_end},
                {'period_end': s.period_end, 'month_first': s.period not like 'FY%'})
            filter (where s.period_end >= k.target_date) as at_deadline,
        bool_and(s.value in (0, 1)) as is_flag_series,
        bool_or(s.value >= 1) as reported_done,  -- a milestone reported done (1 = 実施済)
        arg_min(s.period, s.period_end) filter (where s.value >= 1) as done_period,
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
        at_deadline.value as deadline_value, at_deadline.period as deadline_period,
        is_flag_series, reported_done, done_period, includes_synthetic
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
        s.deadline_value, s.deadline_period, s.is_flag_series, coalesce(s.reported_done, false) as reported_done, s.done_period,
        coalesce(s.includes_synthetic, false) as includes_synthetic,
        k.base_fy is not null and s.base_year_value is not null as has_base_year_value,
        case when k.base_fy is not null and s.base_year_value is not null then s.base_year_value else s.first_value end as y0,
        case when k.base_fy is not null and s.base_year_value is not null then s.base_year_end else s.first_end end as t0,
        case when k.base_fy is not null and s.base_year_value is not null then k.base_fy else s.first_fy end as base_fy_used,
        case when k.base_fy is not null and s.base_year_value is not null then s.base_year_period else s.first_period end as base_period,
        case when k.target_kind = 'relative' then s.base_year_value * k.target_factor else k.target_value end as target,
        case k.direction when 'increase' then 1 when 'decrease' then -1 end as d,
        k.target_kind = 'milestone' and k.direction = 'unknown' as is_deed  -- 「…を実施」 by a date: reported 1 / 0
    from keys
    join kpis k using (kpi_id)
    left join summary s using (kpi_id, area_code)
),
judged as (
    select
        r.*,
        years_between(r.t0, r.latest_end) as years_done,
        years_between(r.t0, r.target_date) as years_total,
        -- which rule judges this row (docs/methodology.md, section 4)
        case
            when r.area_code <> '000000' and r.aggregation in ('sum', 'count') and r.is_flag_series then 'area_adoption'
            when r.area_code <> '000000' then 'area_trend'
            when r.is_deed then 'milestone'
            when r.target_kind not in ('absolute', 'relative') then 'trend'
            when r.target_timing = 'annual' then 'annual'
            when r.target_date is null then 'no_deadline'
            when is_maintain(r.y0, r.target, r.d, r.comparator, r.p) then 'maintain'
            else 'growth'
        end as rule,
        case
            -- areas below the nation: the targets are national, so an area gets adoption or a trend
            when r.area_code <> '000000' and r.aggregation in ('sum', 'count') and r.is_flag_series
                then case when r.latest_value > 0 then 'achieved' else 'not_adopted' end
            when r.area_code <> '000000'
                then trend_status(r.n_obs, signed_trend(r.y0, r.latest_value, years_between(r.t0, r.latest_end), r.d), r.d, r.p)
            else kpi_judgement(r.n_obs, r.y0, r.t0, r.latest_value, r.latest_end, r.deadline_value, r.target,
                               r.target_date, r.d, r.comparator, r.target_kind, r.target_timing,
                               r.target_kind = 'relative' and not r.has_base_year_value, r.is_deed,
                               r.reported_done, cast(as_of as date), r.p)
        end as status
    from resolved r
),
-- measures of pace and projection, computed once for the status text and the columns
paced as (
    select
        j.*,
        case when j.rule <> 'maintain' then growth_ratio(j.y0, j.latest_value, j.years_done, j.target, j.years_total, j.d) end as r,
        pace_basis(j.y0, j.latest_value, j.target) as basis,
        signed_trend(j.y0, j.latest_value, j.years_done, j.d) as g,
        -- the projection looks ahead to the deadline: for a target not yet reached, before the deadline
        j.rule = 'growth' and j.status in ('on_track', 'acceleration_needed', 'limited', 'deterioration')
            and cast(as_of as date) < j.target_date as projects,
        case when projects then years_to_target(j.y0, j.latest_value, j.years_done, j.target, j.d) end as reach_years,
        case when projects then projected_value(j.y0, j.latest_value, j.years_done, j.years_total, j.target) end as projection
    from judged j
),
final as (
    select
        j.kpi_id, j.measure_no, j.section_no, j.kind, j.name, j.unit, j.area_code, j.area_level,
        cast(as_of as date) as as_of,
        j.base_fy_used as base_fy, j.base_period, j.t0 as base_date, j.y0 as base_value,
        j.latest_fy, j.latest_period, j.latest_end as latest_date, j.latest_value,
        j.target as target_value, j.target_fy, j.target_date, j.direction,
        case when j.rule = 'growth' then (j.latest_value - j.y0) / (j.target - j.y0) end as achievement_ratio,
        case when j.years_total > 0 then least(greatest(j.years_done / j.years_total, 0), 1) end as elapsed_share,
        j.r as growth_ratio,
        j.d * cagr(j.y0, j.latest_value, j.years_done) as cagr_actual,
        j.d * cagr(j.y0, j.target, j.years_total) as cagr_required,
        trend_class(j.g) as trend,
        j.status,
        st.label as status_label,
        st.icon as status_icon,
        case
            when j.status = 'no_data' and j.rule = 'milestone' then 'この時点までに実施状況の報告がありません'
            when j.status = 'no_data' then 'この時点までに実績値がありません'
            when j.status = 'no_base' then '相対目標の基準年度(' || wareki_fy(j.base_fy) || ')の実績値がありません'
            when j.status = 'single_point' and j.n_obs >= 2
                then '基準時点(' || period_ja(j.base_period) || ')より後の実績がなく、'
                     || case when st.family = 'trend' or j.rule in ('trend', 'area_trend', 'no_deadline') then '傾向' else '伸び率' end
                     || 'を判断できません'
            when j.status = 'single_point' and j.rule in ('trend', 'area_trend', 'no_deadline')
                then '実績値が1時点のみで、傾向を判断できません'
            when j.status = 'single_point' then '実績値が1時点のみで、伸び率を計算できません'
            when j.status = 'not_adopted' then 'この団体は未実施です(最新値 0)'
            when j.status = 'achieved' and j.area_code <> '000000' then 'この団体は実施済みです'
            -- dated milestones
            when j.rule = 'milestone' and j.status = 'achieved'
                then '実施済みの報告があります(' || period_ja(j.done_period) || ')'
            when j.rule = 'milestone' and j.status = 'scheduled'
                then '期限 ' || wareki_date(j.target_date) || ' の前で、実施済みの報告はまだありません'
            when j.rule = 'milestone' and j.status = 'awaiting_result'
                then '期限 ' || wareki_date(j.target_date) || ' を過ぎましたが、期限以後の実施状況の報告がありません'
                     || coalesce('(最新の報告 ' || period_ja(j.latest_period) || ': 未実施)', '')
            when j.rule = 'milestone' and j.status = 'missed'
                then '期限 ' || wareki_date(j.target_date) || ' を過ぎても実施されていません(' || period_ja(j.deadline_period) || 'の報告: 未実施)'
            -- readings without a target
            when j.status = 'trend_unknown'
                then '望ましい方向が定まっていない指標のため、傾向は判定しません(' || num_ja(j.y0) || coalesce(j.unit, '')
                     || ' → ' || num_ja(j.latest_value) || coalesce(j.unit, '') || ')'
            when st.family = 'trend'
                then case when j.area_code <> '000000' then '目標は全国値に対するもので、団体別には傾向のみ表示します。'
                          when j.rule = 'no_deadline' then '目標値 ' || num_ja(j.target) || coalesce(j.unit, '') || ' に未到達で、目標年度がないため傾向のみ表示します。'
                          else '目標がないため傾向のみ表示します。' end
                     || period_ja(j.base_period) || '→' || period_ja(j.latest_period) || 'の伸び '
                     || printf('%+.1f%%', round(100 * j.g, 1) + 0.0) || '/年'
            -- targets
            when j.status = 'awaiting_result'
                then '期限 ' || wareki_date(j.target_date) || ' から' || j.p.deadline_grace_days
                     || '日を過ぎましたが、期限以後の実績が報告されていません(最新 ' || period_ja(j.latest_period) || ' '
                     || num_ja(j.latest_value) || coalesce(j.unit, '') || ')'
            when j.status = 'achieved_then_fell'
                then '期限以後最初の実績 ' || num_ja(j.deadline_value) || coalesce(j.unit, '') || '(' || period_ja(j.deadline_period)
                     || ')で目標 ' || num_ja(j.target) || coalesce(j.unit, '') || ' を達成。その後低下し、最新値('
                     || period_ja(j.latest_period) || ')は ' || num_ja(j.latest_value) || coalesce(j.unit, '')
            when j.status = 'achieved' and j.rule = 'maintain'
                then '最新値 ' || num_ja(j.latest_value) || coalesce(j.unit, '') || ' が維持する目標 ' || num_ja(j.target)
                     || coalesce(j.unit, '') || ' を満たしています'
            when j.status = 'achieved' and cast(as_of as date) >= j.target_date and j.deadline_value is not null
                 and not target_reached(j.deadline_value, j.target, j.d, j.comparator, j.y0, j.p)
                then '期限後に到達: 最新値 ' || num_ja(j.latest_value) || coalesce(j.unit, '') || ' が目標 ' || num_ja(j.target)
                     || coalesce(j.unit, '') || ' に到達(期限以後最初の実績 ' || period_ja(j.deadline_period) || 'は '
                     || num_ja(j.deadline_value) || coalesce(j.unit, '') || ')'
            when j.status = 'achieved'
                then '最新値 ' || num_ja(j.latest_value) || coalesce(j.unit, '') || ' が目標 ' || num_ja(j.target) || coalesce(j.unit, '') || ' に到達'
            when j.rule = 'annual'
                then '年間目標 ' || num_ja(j.target) || coalesce(j.unit, '') || ' に対し最新値 ' || num_ja(j.latest_value) || coalesce(j.unit, '')
            when j.rule = 'maintain'
                then '最新値 ' || num_ja(j.latest_value) || coalesce(j.unit, '') || ' が維持する目標 ' || num_ja(j.target)
                     || coalesce(j.unit, '') || ' を下回っています'
            when cast(as_of as date) >= j.target_date and j.deadline_value is not null
                then '期限以後最初の実績 ' || num_ja(j.deadline_value) || coalesce(j.unit, '') || '(' || period_ja(j.deadline_period)
                     || ')が目標 ' || num_ja(j.target) || coalesce(j.unit, '') || ' に届いていません'
                     || coalesce('(成長率比 ' || printf('%.2f', j.r) || ')', '')
            else case when cast(as_of as date) > j.target_date
                      then '期限 ' || wareki_date(j.target_date) || ' を過ぎ、期限以後の実績の報告を待っています('
                           || wareki_date(cast(j.target_date + to_days(j.p.deadline_grace_days) as date)) || 'まで)。それまでのペース: '
                      else '' end
                 || '成長率比 ' || printf('%.2f', j.r) || ' = 実績の伸び '
                 || case j.basis
                        when 'cagr' then printf('%+.1f%%', 100 * j.d * cagr(j.y0, j.latest_value, j.years_done)) || '/年 ÷ 必要な伸び '
                                         || printf('%.1f%%', 100 * abs(cagr(j.y0, j.target, j.years_total))) || '/年'
                        else num_ja(linear_rate(j.y0, j.latest_value, j.years_done)) || coalesce(j.unit, '') || '/年 ÷ 必要な伸び '
                             || num_ja(abs(linear_rate(j.y0, j.target, j.years_total))) || coalesce(j.unit, '') || '/年(0以下の値を含むため線形)'
                    end
                 || case when not j.projects then ''
                         when j.reach_years <= j.years_total then '。このペースなら期限までに到達見込み'
                         else '。このペースでは期限までに到達しない見込み(期限時点 ' || num_ja(j.projection) || coalesce(j.unit, '') || ')' end
        end as status_reason,
        linear_reading(j.status, j.rule = 'growth', (j.latest_value - j.y0) / (j.target - j.y0),
                       case when j.years_total > 0 then least(greatest(j.years_done / j.years_total, 0), 1) end) as linear_status,
        j.n_obs,
        j.includes_synthetic,
        -- added in status v2 (docs/methodology.md): which rule and threshold set judged the row, the family
        -- of its status, the value that judged the deadline, and the projection at the current pace
        j.rule as status_rule,
        j.status_method,
        st.family as status_family,
        j.deadline_period,
        j.deadline_value,
        case when j.projects then j.basis end as pace_basis,
        j.projection as projected_value,
        case when j.reach_years is not null and j.reach_years <= 100
             then cast(j.t0 + to_days(cast(round(j.reach_years * 365.25) as integer)) as date) end as projected_reach_date,
        case when j.projects then coalesce(j.reach_years <= j.years_total, false) end as reaches_by_deadline
    from paced j
    left join core.statuses st on st.code = j.status
)
select
    *,
    -- the two readings disagree when one says on track (or better) and the other does not
    status in ('achieved', 'on_track', 'acceleration_needed', 'limited', 'deterioration') and linear_status is not null
        and (status in ('achieved', 'on_track')) <> (linear_status in ('achieved', 'on_track')) as methods_disagree
from final;
