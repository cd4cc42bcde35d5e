-- Add the rows of temp view coverage_rows (a batch's stored values, or all of them after the tables were
-- emptied) to core.obs_coverage and core.obs_periods (etl/observations/store.refresh_revisions runs this).
-- Stored values are only ever added, never removed, so a merge keeps the tables exact. MERGE rather than
-- a primary key with ON CONFLICT: the key's index was rewritten at every checkpoint (0.3 s a load at 100 M rows).
merge into core.obs_coverage t
using (select kpi_id, area_code, count(*) as stored_values, min(period) as first_period, max(period) as last_period,
              bool_or(is_synthetic) as synthetic
       from coverage_rows group by kpi_id, area_code) b
on t.kpi_id = b.kpi_id and t.area_code = b.area_code
when matched then update set
    stored_values = t.stored_values + b.stored_values,
    first_period = least(t.first_period, b.first_period),
    last_period = greatest(t.last_period, b.last_period),
    synthetic = t.synthetic or b.synthetic
when not matched then insert (kpi_id, area_code, stored_values, first_period, last_period, synthetic)
    values (b.kpi_id, b.area_code, b.stored_values, b.first_period, b.last_period, b.synthetic);

merge into core.obs_periods t
using (select distinct kpi_id, period from coverage_rows) b
on t.kpi_id = b.kpi_id and t.period = b.period
when not matched then insert (kpi_id, period) values (b.kpi_id, b.period);

drop view coverage_rows;
