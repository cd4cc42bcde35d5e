-- One row per KPI indicator (施策 KPI M..-P/E.., 工程表 KPI S..-K..), overrides applied.
create or replace view kpis as
with kpis as (select * from core.kpis),
final as (
    select
        kpi_id,
        measure_no,
        section_no,
        kind,
        ord,
        name,
        unit,
        target_value,
        target_fy,
        target_date,
        target_timing,
        comparator,
        base_fy,
        base_value,
        target_factor,
        direction,
        target_kind,
        target_text,
        source_text,
        has_target,
        is_override,
        area_level,
        aggregation,
        obs_fy_min,
        obs_fy_max,
        indicator_group,
        notes
    from kpis
)
select * from final order by measure_no nulls last, section_no, kind desc, ord;
