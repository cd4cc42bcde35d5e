-- The threshold sets of the progress-status method (data/reference/status_methods.yaml); the column
-- kpi_status.status_method says which one judged each KPI.
create or replace view status_methods as
with methods as (select * from core.status_methods),
final as (
    select method, label, source, on_track, acceleration_needed, deterioration_below, trend_improving,
           trend_worsening, maintain_tolerance, approx_tolerance, deadline_grace_days
    from methods
)
select * from final order by method;
