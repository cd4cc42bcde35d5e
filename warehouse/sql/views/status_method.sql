-- The progress-status method (docs/methodology.md), as scalar macros: the one implementation that the
-- status views, the tests and the worked examples of the methodology all use.
--
-- `p` is the KPI's threshold set, a struct with the fields of core.status_methods (on_track,
-- acceleration_needed, deterioration_below, trend_improving, trend_worsening, maintain_tolerance,
-- approx_tolerance, deadline_grace_days): data/reference/status_methods.yaml, overridable per KPI.

-- Years between two dates (365.25-day years).
create or replace macro years_between(a, b) as datediff('day', a, b) / 365.25;

-- Compound annual growth rate from y0 to y1 over `years`; NULL when a value is ≤ 0 (undefined).
create or replace macro cagr(y0, y1, years) as
    case when y0 > 0 and y1 > 0 and years > 0 then power(y1 / y0, 1 / years) - 1 end;

-- Average change per year (the fallback when CAGR is undefined).
create or replace macro linear_rate(y0, y1, years) as
    case when years > 0 then (y1 - y0) / years end;

-- Whether the pace is read as compound growth ('cagr') or, with a value ≤ 0, as change per year ('linear').
create or replace macro pace_basis(y0, yt, target) as
    case when y0 > 0 and yt > 0 and (target is null or target > 0) then 'cagr' else 'linear' end;

-- Whether y meets the target in the wanted direction d (+1 up, -1 down). 約 (approx) allows
-- p.approx_tolerance of the target's size; a "maintain" target (target = base value y0) allows
-- p.maintain_tolerance below it.
create or replace macro target_reached(y, target, d, comparator, y0, p) as
    case
        when y is null or target is null or d is null then false
        when target = y0 then d * (y - target) >= -p.maintain_tolerance * abs(target)
        when comparator = 'approx' then d * (y - target) >= -p.approx_tolerance * abs(target)
        else d * (y - target) >= 0
    end;

-- A target the base value already meets (target = base, or the base beyond it in the wanted
-- direction): the KPI must keep it, and nothing is required of its pace.
create or replace macro is_maintain(y0, target, d, comparator, p) as
    y0 is not null and target_reached(y0, target, d, comparator, y0, p);

-- R = d · CAGR_actual / |CAGR_required|; with a value ≤ 0 the ratio of linear rates instead.
-- NULL for a maintain target (nothing is required) and when no time has passed.
create or replace macro growth_ratio(y0, yt, years_done, target, years_total, d) as
    case
        when years_done <= 0 or years_total <= 0 or target = y0 then null
        when pace_basis(y0, yt, target) = 'cagr'
            then d * cagr(y0, yt, years_done) / abs(cagr(y0, target, years_total))
        else d * linear_rate(y0, yt, years_done) / abs(linear_rate(y0, target, years_total))
    end;

-- Direction-signed growth per year of a series: CAGR, or the linear rate relative to the larger
-- absolute value when a value is ≤ 0. NULL when the wanted direction d is unknown.
create or replace macro signed_trend(y0, yt, years, d) as
    case
        when years <= 0 or d is null then null
        when y0 > 0 and yt > 0 then d * cagr(y0, yt, years)
        when greatest(abs(y0), abs(yt)) = 0 then 0
        else d * linear_rate(y0, yt, years) / greatest(abs(y0), abs(yt))
    end;

-- The finer trend class of a direction-signed growth rate (column `trend`): Open SDG's thresholds.
create or replace macro trend_class(g) as
    case
        when g is null then null
        when g >= 0.015 then 'substantial'
        when g >= 0.005 then 'moderate'
        when g >= 0 then 'limited'
        else 'deterioration'
    end;

-- The reading of a KPI without a target (目標なし・傾向): never mixed with the judgements against one.
create or replace macro trend_status(n, g, d, p) as
    case
        when n is null or n = 0 then 'no_data'
        when d is null then 'trend_unknown'
        when n < 2 or g is null then 'single_point'  -- nothing after the base point
        when g >= p.trend_improving then 'trend_improving'
        when g < p.trend_worsening then 'trend_worsening'
        else 'trend_flat'
    end;

-- Status of a growth ratio R against a target, with the thresholds of p.
create or replace macro ratio_class(r, p) as
    case
        when r is null then null
        when r >= p.on_track then 'on_track'
        when r >= p.acceleration_needed then 'acceleration_needed'
        when r >= p.deterioration_below then 'limited'
        else 'deterioration'
    end;

-- Linear-path reading (地方創生 KPI 検証): achievement share against elapsed-time share.
create or replace macro linear_class(achievement, elapsed) as
    case
        when achievement is null then null
        when achievement >= 1 then 'achieved'
        when elapsed is null or elapsed <= 0 then null  -- no time has passed: nothing to compare
        when achievement >= elapsed then 'on_track'
        when achievement >= 0 then 'limited'
        else 'deterioration'
    end;

-- The linear reading of a KPI judged by the growth rule: a target reached (約 included) is reached in
-- both readings; other rules have no linear reading.
create or replace macro linear_reading(status, is_growth, achievement, elapsed) as
    case
        when not is_growth then null
        when status in ('achieved', 'achieved_then_fell') then 'achieved'
        else linear_class(achievement, elapsed)
    end;

-- Years from the base until the target is reached at the current pace (compound or linear, as
-- pace_basis says); NULL when the pace does not lead there or nothing can be said (the target must lie
-- ahead of the base in the wanted direction d).
create or replace macro years_to_target(y0, yt, years_done, target, d) as
    case
        when years_done <= 0 or target is null or y0 is null or yt is null or yt = y0 or not (d * (target - y0) > 0) then null
        when pace_basis(y0, yt, target) = 'cagr' and ln(target / y0) / ln(yt / y0) > 0
            then years_done * ln(target / y0) / ln(yt / y0)
        when pace_basis(y0, yt, target) = 'linear' and (target - y0) / (yt - y0) > 0
            then years_done * (target - y0) / (yt - y0)
    end;

-- The value at `years_total` from the base at the current pace.
create or replace macro projected_value(y0, yt, years_done, years_total, target) as
    case
        when years_done <= 0 or years_total is null or y0 is null or yt is null then null
        when pace_basis(y0, yt, target) = 'cagr' then y0 * power(yt / y0, years_total / years_done)
        else y0 + (yt - y0) * years_total / years_done
    end;

-- Below the target at the deadline: 悪化 when the pace is below p.deterioration_below (or a target to
-- keep was lost), else 未達 (missed).
create or replace macro shortfall_class(y0, yt, years_done, target, years_total, d, comparator, p) as
    case
        when is_maintain(y0, target, d, comparator, p) then 'deterioration'
        when growth_ratio(y0, yt, years_done, target, years_total, d) < p.deterioration_below then 'deterioration'
        else 'missed'
    end;

-- The status of one national KPI series. Arguments: number of observations n; base value y0 at t0;
-- latest value yt at t; the first value at or after the deadline y_dl (NULL if none yet); the target
-- value (absolute, or resolved from a relative target) due at tt; wanted direction d (NULL unknown);
-- comparator; target kind and timing; whether a relative target's base value is missing; whether the
-- KPI is a deed by a date (reported 1 = done / 0 = not done) and whether it was reported done; the
-- as-of date; the threshold set p.
create or replace macro kpi_judgement(n, y0, t0, yt, t, y_dl, target, tt, d, comparator, target_kind, timing,
                                      base_missing, is_deed, done, as_of, p) as
    case
        -- a deed by a date (「令和元年度に実証テストを実施」): done, not yet due, or not done. No pace to
        -- read, so no grace period: after the deadline it is not done or its report is awaited.
        when is_deed then
            case
                when done then 'achieved'
                when tt is null or as_of <= tt then 'scheduled'  -- due on the day: not yet past
                when y_dl is not null then 'missed'  -- reported not done at or after the deadline
                else 'awaiting_result'
            end
        when target_kind not in ('absolute', 'relative') then
            trend_status(n, signed_trend(y0, yt, years_between(t0, t), d), d, p)
        when n is null or n = 0 then 'no_data'
        when target_kind = 'relative' and base_missing then 'no_base'
        when timing = 'annual' then
            case when target_reached(yt, target, d, comparator, null, p) then 'achieved' else 'limited' end
        when tt is null then
            case when target_reached(yt, target, d, comparator, y0, p) then 'achieved'
                 else trend_status(n, signed_trend(y0, yt, years_between(t0, t), d), d, p) end
        -- at or past the deadline with a value at or after it: achievement is judged on that value
        when as_of >= tt and y_dl is not null then
            case
                when target_reached(y_dl, target, d, comparator, y0, p) and target_reached(yt, target, d, comparator, y0, p)
                    then 'achieved'
                when target_reached(y_dl, target, d, comparator, y0, p) then 'achieved_then_fell'
                when target_reached(yt, target, d, comparator, y0, p) then 'achieved'  -- reached late
                else shortfall_class(y0, yt, years_between(t0, t), target, years_between(t0, tt), d, comparator, p)
            end
        when target_reached(yt, target, d, comparator, y0, p) then 'achieved'
        when as_of > tt + to_days(p.deadline_grace_days) then 'awaiting_result'
        when is_maintain(y0, target, d, comparator, p) then 'deterioration'  -- a target to keep, not kept
        when n < 2 then 'single_point'
        else coalesce(ratio_class(growth_ratio(y0, yt, years_between(t0, t), target, years_between(t0, tt), d), p),
                      'single_point')
    end;
