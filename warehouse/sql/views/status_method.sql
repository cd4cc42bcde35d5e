-- The progress-status method (docs/methodology.md), as scalar macros: the one implementation that the
-- status views, the tests and the worked examples of the methodology all use.

-- Years between two dates (365.25-day years).
create or replace macro years_between(a, b) as datediff('day', a, b) / 365.25;

-- Compound annual growth rate from y0 to y1 over `years`; NULL when a value is ≤ 0 (undefined).
create or replace macro cagr(y0, y1, years) as
    case when y0 > 0 and y1 > 0 and years > 0 then power(y1 / y0, 1 / years) - 1 end;

-- Average change per year (the fallback when CAGR is undefined).
create or replace macro linear_rate(y0, y1, years) as
    case when years > 0 then (y1 - y0) / years end;

-- Whether y meets the target in the wanted direction d (+1 up, -1 down); 約 (approx) allows 5 %.
create or replace macro target_reached(y, target, d, comparator) as
    case
        when y is null or target is null then false
        when comparator = 'approx' and d > 0 then y >= 0.95 * target
        when comparator = 'approx' then y <= 1.05 * target
        when d > 0 then y >= target
        else y <= target
    end;

-- R = d · CAGR_actual / |CAGR_required|; with a value ≤ 0 the ratio of linear rates instead.
create or replace macro growth_ratio(y0, yt, years_done, target, years_total, d) as
    case
        when years_done <= 0 or years_total <= 0 or target = y0 then null
        when y0 > 0 and yt > 0 and target > 0
            then d * cagr(y0, yt, years_done) / abs(cagr(y0, target, years_total))
        else d * linear_rate(y0, yt, years_done) / abs(linear_rate(y0, target, years_total))
    end;

-- Direction-signed growth per year of a series without a target: CAGR, or the linear rate relative to
-- the larger absolute value when a value is ≤ 0.
create or replace macro signed_trend(y0, yt, years, d) as
    case
        when years <= 0 then null
        when y0 > 0 and yt > 0 then d * cagr(y0, yt, years)
        when greatest(abs(y0), abs(yt)) = 0 then 0
        else d * linear_rate(y0, yt, years) / greatest(abs(y0), abs(yt))
    end;

-- Trend class of a direction-signed growth rate (no target): thresholds of the methodology.
create or replace macro trend_class(g) as
    case
        when g is null then null
        when g >= 0.015 then 'substantial'
        when g >= 0.005 then 'moderate'
        when g >= 0 then 'limited'
        else 'deterioration'
    end;

-- Status of a growth ratio R against a target.
create or replace macro ratio_class(r) as
    case
        when r is null then null
        when r >= 0.95 then 'on_track'
        when r >= 0.5 then 'acceleration_needed'
        when r >= 0 then 'limited'
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

-- The status of one KPI × area series. Arguments: number of observations, base value and date,
-- latest value and date, target value (absolute, or already resolved from a relative target) and
-- its date, wanted direction d, comparator, target kind and timing, whether a relative target's
-- base value is missing, and the as-of date.
create or replace macro kpi_judgement(n, y0, t0, yt, t, target, tt, d, comparator, target_kind, timing, base_missing, as_of) as
    case
        when n is null or n = 0 then 'no_data'
        when target_kind = 'relative' and base_missing then 'no_base'
        when target_kind in ('absolute', 'relative') and target_reached(yt, target, d, comparator) then 'achieved'
        when target_kind in ('absolute', 'relative') and timing = 'annual' then 'limited'
        when target_kind in ('absolute', 'relative') and tt is null then 'no_target'
        when target_kind in ('absolute', 'relative') and n < 2 then 'single_point'
        when target_kind in ('absolute', 'relative') and as_of > tt
            then case when growth_ratio(y0, yt, years_between(t0, t), target, years_between(t0, tt), d) < 0
                      then 'deterioration' else 'limited' end
        when target_kind in ('absolute', 'relative')
            then coalesce(ratio_class(growth_ratio(y0, yt, years_between(t0, t), target, years_between(t0, tt), d)), 'single_point')
        else 'no_target'
    end;
