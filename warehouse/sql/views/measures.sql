-- One row per national measure (施策) of the 施策一覧.
create or replace view measures as
with measures as (select * from core.measures),
pillars as (select code, name from core.pillars),
final as (
    select
        m.measure_no,
        m.national_measure_no,
        m.title,
        m.pillar,
        p.code as pillar_code,
        m.lead_ministries,
        m.ministries,
        m.ministry_groups,
        m.lead_basis,
        m.plan_listing,
        m.plan_start_fy,
        m.effect_efficiency,
        m.effect_economy,
        m.effect_convenience,
        m.effect_safety,
        m.effect_flags_confidence,
        m.kpi_progress_text,
        m.kpi_effect_text,
        m.overview,
        m.overview_items,
        m.support,
        m.support_items,
        m.budget_program,
        m.budget_items,
        m.reference_url,
        m.reference_urls,
        m.reference_text,
        m.source_file,
        m.source_line,
        m.source_page,
        m.quality_flags,
        len(m.quality_flags) > 0 as needs_review
    from measures m
    left join pillars p on p.name = m.pillar
)
select * from final order by measure_no;
