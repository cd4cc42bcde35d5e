-- Every field a person corrected in kpi_defs.yaml (overrides), with the generated value it replaced.
create or replace view kpi_overrides as
with overrides as (select * from core.kpi_overrides),
final as (select kpi_id, field, generated_value, override_value, reason from overrides)
select * from final order by kpi_id, field;
