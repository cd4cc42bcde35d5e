-- Add the rows of temp view coverage_rows (a batch's stored values, or all of them after the tables were
-- emptied) to core.obs_coverage and core.obs_periods (etl/observations/store.refresh_revisions runs this).
-- Stored values are only ever added, never removed, so a merge keeps the tables exact.
insert into core.obs_coverage
select kpi_id, area_code, count(*), min(period), max(period), bool_or(is_synthetic)
from coverage_rows group by kpi_id, area_code
on conflict (kpi_id, area_code) do update set
    stored_values = stored_values + excluded.stored_values,
    first_period = least(first_period, excluded.first_period),
    last_period = greatest(last_period, excluded.last_period),
    synthetic = synthetic or excluded.synthetic;

insert into core.obs_periods
select distinct kpi_id, period from coverage_rows
on conflict do nothing;

drop view coverage_rows;
