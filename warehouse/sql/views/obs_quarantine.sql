-- Rows rejected by a load with --accept-valid, exactly as they were typed, with the reasons.
create or replace view obs_quarantine as
with quarantine as (select * from core.obs_quarantine),
final as (select batch_id, sheet, row_number, kpi_id, area, period, value, unit, source, note, reasons from quarantine)
select * from final order by batch_id, sheet, row_number;
