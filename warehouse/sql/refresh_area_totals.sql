-- Recompute core.area_totals for the KPI × area level × period keys in temp table total_keys
-- (etl/observations/store.refresh_revisions runs this after the revisions). A value adds itself when it
-- becomes known and withdraws itself when superseded; a value never in force (superseded_at <= known_at)
-- does neither.
delete from core.area_totals t using total_keys k
where t.kpi_id = k.kpi_id and t.area_level = k.area_level and t.period = k.period;

insert into core.area_totals
with stored as (
    select o.kpi_id, o.area_level, o.period, o.fiscal_year, o.month, o.period_end, o.value, o.is_synthetic,
           b.loaded_at as known_at, o.superseded_at
    from core.observations o
    join core.obs_batches b using (batch_id)
    semi join total_keys k using (kpi_id, area_level, period)
    union all
    select d.kpi_id, d.area_level, d.period, d.fiscal_year, d.month, d.period_end, d.value, false, d.known_at, d.superseded_at
    from core.document_observations d
    semi join total_keys k using (kpi_id, area_level, period)
),
in_force as (select * from stored where superseded_at is null or superseded_at > known_at),
changes as (
    select kpi_id, area_level, period, fiscal_year, month, period_end, known_at as changed_at,
           value::decimal(38, 10) as d_sum, 1 as d_count, (value > 0)::int as d_positive, is_synthetic::int as d_synthetic
    from in_force
    union all
    select kpi_id, area_level, period, fiscal_year, month, period_end, superseded_at,
           -value::decimal(38, 10), -1, -(value > 0)::int, -is_synthetic::int
    from in_force where superseded_at is not null
)
select kpi_id, area_level, period, any_value(fiscal_year), any_value(month), any_value(period_end), changed_at,
       sum(d_sum), sum(d_count), sum(d_positive), sum(d_synthetic)
from changes
group by kpi_id, area_level, period, changed_at;

drop table total_keys;
