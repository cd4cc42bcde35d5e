-- The current value of every KPI × area × period, with its batch and source (see observations_as_of).
create or replace view observations as
with current as (select * from observations_as_of(date '9999-12-30')),
final as (
    select kpi_id, area_code, area_level, period, fiscal_year, month, period_end, value, origin, batch_id,
           location, source, note, quote, known_at, loaded_by, is_synthetic, revision
    from current
)
select * from final;
